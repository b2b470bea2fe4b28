import { kvKey } from '../../src/core/keys';
import { reconcileNow, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// A branch whose tip the app delivered is rewritten (a forced push, or the branch deleted and made
// again under its name), and Bitbucket's garbage collection drops the old commits: the tip the app
// knows is gone. With the product event lost (liveEvents off), only the reconciliation can deliver
// the new commits, and it must not stall on the tip it can no longer read from.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'rewritten-branch', repositories: 1, rateLimitPerHour: 0 } });
  await reconcileNow(sb);
});
afterAll(() => sb.stop());

const repository = () => [...sb.simulator.model.repositories.values()][0]!;
const branchPushes = (branch: string) =>
  sb.sink
    .deliveries()
    .filter((d) => d.eventKey === 'repo:push')
    .map((d) => d.body as { push: { changes: Array<{ new: { name: string; target: { hash: string } } | null }> }; pandev: { commits: Array<{ hash: string }> } })
    .filter((body) => body.push.changes[0]!.new?.name === branch)
    .map((body) => ({ tip: body.push.changes[0]!.new!.target.hash, commits: body.pandev.commits.map((c) => c.hash) }));

it('delivers the commits of a rewritten branch whose delivered tip Bitbucket no longer has, and goes on', async () => {
  const repo = repository();
  const branch = 'feature/rewritten';
  sb.simulator.actions.createBranch({ repository: repo.slug, name: branch, from: repo.mainBranch });
  const { commits: old } = sb.simulator.actions.pushCommits({ repository: repo.slug, branch, commits: 2 });
  await reconcileNow(sb);
  expect(branchPushes(branch).map((push) => push.tip)).toEqual([old.at(-1)]);

  const { commits, removed } = sb.simulator.actions.forcePush({ repository: repo.slug, branch, commits: 1 });
  expect(removed).toEqual(expect.arrayContaining(old));
  // Other news in the same pass: a pass that fails delivers none of it.
  const { pullRequestId } = sb.simulator.actions.openPullRequest({ repository: repo.slug });
  sb.sink.clear();
  await reconcileNow(sb);
  await reconcileNow(sb);

  expect(branchPushes(branch)).toEqual([{ tip: commits[0], commits }]);
  expect(sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created').map((d) => (d.body as { pullrequest: { id: number } }).pullrequest.id)).toEqual([pullRequestId]);
  expect(((await sb.host.kvs.get(kvKey('reconcile', 'repo', repo.uuid))) as { error?: string }).error).toBeUndefined();
  expect(sb.sink.duplicates()).toBe(0);
}, 60_000);

it('delivers what a rewritten main branch gained since the last pass, not its history', async () => {
  const repo = repository();
  const main = repo.mainBranch;
  const start = repo.branches.get(main)!;
  const { commits: dropped } = sb.simulator.actions.pushCommits({ repository: repo.slug, branch: main, commits: 1 });
  await reconcileNow(sb);
  // The pushed commit is undone and replaced.
  const { commits, removed } = sb.simulator.actions.forcePush({ repository: repo.slug, branch: main, onto: start, commits: 2 });
  expect(removed).toEqual(dropped);
  sb.sink.clear();
  await reconcileNow(sb);
  await reconcileNow(sb);
  expect(branchPushes(main)).toEqual([{ tip: commits.at(-1), commits: [...commits].reverse() }]);
  expect(sb.sink.duplicates()).toBe(0);
}, 60_000);
