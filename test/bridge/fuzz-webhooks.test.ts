import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { mutate, seeded } from '../helpers/mutate';
import { fixturesDir, fixturesPresent } from '../helpers/shared';
import { dcEnv, inProcessBridge, postWebhook, projectRepositories, until, type DcEnv } from './helpers';

// Issue 2, item 11, by fuzzing: Data Center webhook bodies (the simulator's own, and the real ones in
// ../shared/fixtures) broken a few hundred ways (seeded: FUZZ_SEED=<n> replays a run), each signed and
// POSTed to the bridge's listener over loopback. For every mutant: no 5xx but 503 (a full backlog);
// a refusal (4xx) is logged with its reason; an ignored one (200) says why; one taken (202) is handled
// from the inbox, to PanDev or dropped with a logged reason, and never left to block its repository.

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_127);
const MUTANTS = 200;
const stash = 'drone-go-scm/scm/driver/stash/testdata/webhooks';
const server = 'jenkinsci-bitbucket-branch-source-plugin/src/test/resources/com/cloudbees/jenkins/plugins/bitbucket/impl/webhook/server';

let env: DcEnv;
let running: Awaited<ReturnType<typeof inProcessBridge>>;
let capture: Server;
const lines: string[] = [];
const simulated: unknown[] = [];

beforeAll(async () => {
  env = await dcEnv({ seed: 'fuzz', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false });
  running = await inProcessBridge(env.config(), lines);
  await running.runPass();
  await running.bridge.queue.idle();
  // What the simulator sends, caught by a plain listener of our own: the bridge must not see the originals.
  capture = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      simulated.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  env.sim.webhooks.register(`http://127.0.0.1:${(capture.address() as AddressInfo).port}/`, 'unused');
  const repository = `${projectRepositories(env.sim)[0]!.projectKey}/${projectRepositories(env.sim)[0]!.slug}`;
  const a = env.sim.actions;
  const { pullRequestId } = a.openPullRequest({ repository, title: 'Fuzzed' });
  a.approvePullRequest({ repository, pullRequestId });
  const { commentId } = a.addComment({ repository, pullRequestId, text: 'Hm' });
  a.editComment({ repository, pullRequestId, commentId, text: 'Hmm' });
  a.pushToPullRequest({ repository, pullRequestId });
  a.mergePullRequest({ repository, pullRequestId });
  a.pushCommits({ repository, commits: 2 });
  await env.sim.webhooks.idle();
}, 60_000);
afterAll(async () => {
  await running?.stop();
  await new Promise((resolve) => capture?.close(resolve));
  await env?.stop();
});

function fixtureBodies(): unknown[] {
  return [stash, server].flatMap((dir) =>
    readdirSync(path.join(fixturesDir, dir))
      .filter((name) => name.endsWith('.json'))
      .map((name) => JSON.parse(readFileSync(path.join(fixturesDir, dir, name), 'utf8')) as unknown),
  );
}

const inbox = () => running.bridge.store.count('dc:inbox:');
const logged = (pattern: RegExp) => lines.filter((line) => pattern.test(line)).length;

async function fuzz(sources: unknown[], seed: number): Promise<Record<number, number>> {
  const random = seeded(seed);
  const statuses: Record<number, number> = {};
  for (let i = 0; i < MUTANTS; i++) {
    const source = sources[i % sources.length] as { eventKey?: unknown };
    const mutant = mutate(source, random);
    const key = (mutant.value as { eventKey?: unknown } | null)?.eventKey;
    const before = { refused: logged(/webhook refused/), retried: logged(/tried again|given up|could not be read/) };
    // X-Event-Key echoes the body's, as Data Center's does, unless too long for any HTTP header (Node
    // refuses 16 KB of headers before the bridge sees them): then the original key, which disagrees.
    const header = typeof key === 'string' && key.length < 1000 ? key : String(source.eventKey);
    const response = await postWebhook(running, { eventKey: header, body: mutant.value });
    const text = await response.text();
    const message = text.startsWith('{') ? ((JSON.parse(text) as { message?: string; error?: string }).message ?? text) : text;
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    let failure: string | undefined;
    if (response.status >= 500 && response.status !== 503) failure = `answered ${response.status}: ${message}`;
    else if (response.status >= 400 && logged(/webhook refused/) === before.refused) failure = `refused (${response.status}: ${message}) without a log line`;
    else if (response.status === 200 && !/^ignored: /.test(message ?? '')) failure = `200 without saying why: ${message}`;
    else if (response.status === 202) {
      // Taken: handled from the inbox, or dropped there with a logged reason; never left to be retried for a day.
      await until(() => inbox() === 0 || logged(/tried again|given up|could not be read/) > before.retried, 10_000, 'the webhook to be handled');
      if (inbox() > 0) failure = `left in the inbox: ${lines.slice(-1)[0]?.slice(0, 400)}`;
    }
    expect({ seed, mutant: i, of: source.eventKey, what: mutant.what, failure }).toEqual({ seed, mutant: i, of: source.eventKey, what: mutant.what, failure: undefined });
  }
  await running.bridge.queue.idle();
  return statuses;
}

it(`every mutant of a simulated Data Center webhook is taken, ignored or refused with a reason (seed ${SEED})`, async () => {
  expect(simulated.length).toBeGreaterThanOrEqual(7);
  const statuses = await fuzz(simulated, SEED);
  // The mutants reached every outcome, not only the schema's refusal.
  expect(Object.keys(statuses)).toEqual(expect.arrayContaining(['202', '400']));
}, 120_000);

it(`every mutant of a real Data Center webhook fixture is taken, ignored or refused with a reason (seed ${SEED})`, async () => {
  if (!fixturesPresent) return console.warn(`skipped: ${fixturesDir} is absent`);
  await fuzz(fixtureBodies(), SEED + 1);
}, 120_000);
