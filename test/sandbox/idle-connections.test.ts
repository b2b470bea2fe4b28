import type { SettingsPage } from '../../src/sandbox/settings-page/server';
import type { TestSandbox } from '../e2e/helpers';
import { sandboxWithPage } from './page-helpers';

// Under load (the full suite on 2 cores) a test process falls behind its timers by seconds. fetch and
// the sandbox's servers share that process: when a server's timer closes a keep-alive connection that
// fetch still counts as reusable, a request sent before the close has been read goes out on a closed
// connection. From the host's Bitbucket proxy to the simulator that was a 502, which the settings
// page shows as "Bitbucket did not answer in time".

/** Node closes a connection idle for its keepAliveTimeout and a second more: 6 s by default. */
const SERVER_IDLE_MS = 6000;

/**
 * Sends `requests` from a timer due just after the servers' idle timers, while the process is held up
 * past both (as a loaded machine holds it): the servers' timers run first, and the requests follow in
 * the same turn, as the app's own timed work (a catalog step after a wait) does under load.
 */
function afterStall<T>(requests: () => Promise<T>): Promise<T> {
  const due = new Promise<T>((resolve, reject) => setTimeout(() => requests().then(resolve, reject), SERVER_IDLE_MS + 50));
  // Holds the thread without burning the CPU the other test workers share.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, SERVER_IDLE_MS + 500);
  return due;
}

let sb: TestSandbox;
let page: SettingsPage;
let stop: () => Promise<void>;

beforeAll(async () => ({ sb, page, stop } = await sandboxWithPage({ connect: false, liveEvents: false, scheduledTriggers: false }, 'idle-connections')));
afterAll(() => stop());

const status = (url: string): Promise<number | string> => fetch(url).then((r) => r.status, (error: Error) => `${error.message}: ${String(error.cause)}`);

// One request to each sandbox server a client in the same process keeps a connection to: the
// simulator (the host's Bitbucket proxy), the host's ingress (the page server), the page server, and
// the receiver (the app's deliveries). All sent in the same turn.
async function everyServer() {
  const [simulator, hostIngress, pageServer, receiver] = await Promise.all([
    status(`${sb.simulator.url}/2.0/user`),
    status(`${sb.host.url}/health`),
    status(`${page.url}sandbox/accounts.json`),
    status(`${sb.sink.url}/_sink/stats`),
  ]);
  return { simulator, hostIngress, pageServer, receiver };
}

it("answers on a reused connection when the process fell behind the servers' idle timers", async () => {
  // The simulator's /2.0/user without a token: its 401 is an answer all the same.
  const answered = { simulator: 401, hostIngress: 200, pageServer: 200, receiver: 200 };
  expect(await everyServer()).toEqual(answered);
  expect(await afterStall(everyServer)).toEqual(answered);
}, 30_000);
