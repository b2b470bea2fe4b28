import path from 'node:path';
import type { CloudSimulator } from '../../src/sandbox/cloud-sim';
import type { PanDevSink } from '../../src/sandbox/pandev-sink';
import { cloudConfig, cloudEnv, inProcessBridge, virtualClock } from './helpers';

// The Cloud edition finds pushes by polling the refs (core/reconcile), where the app is told by Forge:
// the push it delivers must say what the app's would of the same move. From the tip it delivered
// before to the new one, with the commits between; and a tip rewritten away (a forced push whose old
// commits Bitbucket collected) is named by its hash, the push marked forced, so its delivery id is the
// one the app's forced push has (test/e2e/push-replaced-head.test.ts).

const clock = virtualClock(Date.now());
let sim: CloudSimulator;
let sink: PanDevSink;
let dir: string;
let stop: () => Promise<void>;
let running: Awaited<ReturnType<typeof inProcessBridge>>;
beforeAll(async () => {
  ({ sim, sink, dir, stop } = await cloudEnv('bridge-cloud-pushes', 1, { clock }));
  running = await inProcessBridge(cloudConfig({ sim, sink }, path.join(dir, 'state.db')), [], { clock });
  await pass();
});
afterAll(async () => {
  await running.stop();
  await stop();
});

/** Passes BRIDGE_POLL_SECONDS apart, as they run. */
async function pass(): Promise<void> {
  await clock.sleep(10 * 60_000);
  expect(await running.runPass()).toMatchObject({ failed: 0 });
  await running.bridge.queue.idle();
}

type PushBody = { push: { changes: Array<{ forced: boolean; old: { target: { hash: string } } | null; new: { name: string; target: { hash: string } } | null }> }; pandev: { commits: Array<{ hash: string }>; commits_truncated: boolean } };
const pushesOf = (branch: string) =>
  sink.deliveries().filter((d) => d.eventKey === 'repo:push').map((d) => d.body as PushBody).filter((body) => body.push.changes[0]!.new?.name === branch);
const repository = () => [...sim.model.repositories.values()][0]!;

it('lists the commits between the tip it delivered last and the new one', async () => {
  const repo = repository();
  const before = repo.branches.get(repo.mainBranch)!;
  const { commits } = sim.actions.pushCommits({ repository: repo.slug, commits: 3 });
  sink.clear();
  await pass();
  const pushes = pushesOf(repo.mainBranch);
  expect(pushes).toHaveLength(1);
  expect(pushes[0]!.push.changes[0]).toMatchObject({ forced: false, old: { target: { hash: before } }, new: { target: { hash: commits.at(-1) } } });
  expect(pushes[0]!.pandev.commits.map((c) => c.hash)).toEqual([...commits].reverse());
  expect(pushes[0]!.pandev.commits_truncated).toBe(false);
});

it('names a branch tip Bitbucket no longer has by its hash and marks the push forced', async () => {
  const repo = repository();
  const branch = 'feature/amended';
  sim.actions.createBranch({ repository: repo.slug, name: branch, from: repo.mainBranch });
  const { commits: old } = sim.actions.pushCommits({ repository: repo.slug, branch, commits: 2 });
  await pass();
  sink.clear();

  const { commits, removed } = sim.actions.forcePush({ repository: repo.slug, branch, onto: old[0]!, commits: 1 });
  expect(removed).toEqual([old[1]]);
  await pass();

  const pushes = pushesOf(branch);
  expect(pushes).toHaveLength(1);
  expect(pushes[0]!.push.changes[0]).toMatchObject({ forced: true, old: { target: { hash: old[1] } }, new: { target: { hash: commits.at(-1) } } });
  // As the app's: the gone tip cannot bound them, so those not on the main branch, the one kept too.
  expect(pushes[0]!.pandev.commits.map((c) => c.hash)).toEqual([...commits].reverse().concat(old[0]!));
  expect(sink.duplicates()).toBe(0);
});

it('names a main branch tip Bitbucket no longer has by its hash, and lists what the branch gained, not its history', async () => {
  const repo = repository();
  const main = repo.mainBranch;
  const start = repo.branches.get(main)!;
  const history = new Set(repo.commits.keys());
  const { commits: dropped } = sim.actions.pushCommits({ repository: repo.slug, commits: 1 });
  await pass();
  sink.clear();

  const { commits, removed } = sim.actions.forcePush({ repository: repo.slug, branch: main, onto: start, commits: 2 });
  expect(removed).toEqual(dropped);
  await pass();

  const pushes = pushesOf(main);
  expect(pushes).toHaveLength(1);
  expect(pushes[0]!.push.changes[0]).toMatchObject({ forced: true, old: { target: { hash: dropped[0] } }, new: { target: { hash: commits.at(-1) } } });
  expect(pushes[0]!.pandev.commits.filter((c) => history.has(c.hash))).toEqual([]);
  expect(pushes[0]!.pandev.commits.map((c) => c.hash)).toEqual([...commits].reverse());
  expect(sink.duplicates()).toBe(0);
});
