import { prefixes } from '../../src/core/deliver/outbox';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { runCommand } from '../helpers/cli';
import { dcEnv, inProcessBridge, settledPass, type DcEnv } from './helpers';

// A row listed with no dead letter behind it (a replay took the letter while a listing indexed it):
// `dead-letters replay <id>` takes it off the list and says so, instead of "not found" for good.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'dead-stale-row', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false })));
afterAll(() => env.stop());

async function listed(): Promise<string[]> {
  const answer = await runCommand(['dead-letters', 'list', '--json'], { BRIDGE_DB: env.env.BRIDGE_DB! });
  expect(answer.code).toBe(0);
  return (JSON.parse(answer.out) as Array<{ id: string }>).map((letter) => letter.id);
}

it('takes a listed row whose letter is gone off the list on its replay by id, and says so', async () => {
  env.sink.respondNext(400, 100_000, 'payload refused');
  const running = await inProcessBridge(env.config());
  try {
    await settledPass(running);
  } finally {
    await running.stop();
  }
  const [gone, ...others] = await listed();
  expect(others.length).toBeGreaterThan(0);
  const store = openSqliteStore(env.env.BRIDGE_DB!);
  try {
    await store.delete(prefixes.dead + gone);
  } finally {
    store.close();
  }
  expect(await listed()).toContain(gone);

  const sent = env.sink.deliveries().length;
  const replayed = await runCommand(['dead-letters', 'replay', gone!], env.env);
  expect(replayed.stdout).toBe('0 delivered, 0 waiting for a retry, 0 failed again, 0 not found\n1 listed dead letter had nothing left to send (replayed already): taken off the list\n');
  expect(replayed.code).toBe(0);
  expect(env.sink.deliveries().length).toBe(sent);
  expect(await listed()).toEqual(others);
});
