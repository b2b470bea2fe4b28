import { kvKey } from '../../src/core/keys';
import { CLOCK_ALLOWANCE_MS } from '../../src/core/reconcile/clock-allowance';
import { reconcileNow, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// No backfill listed these repositories' refs (the sandbox runs none): their ref baseline is unknown,
// and a branch the app has no tip for is told moved from standing only by its tip's date. Product
// events are lost (liveEvents off), so only the reconciliation can deliver what is pushed.

let sb: TestSandbox;
/** A pull request whose commits were made ten minutes before the first pass, long before any pass's window. */
let early: { pullRequestId: number; commits: string[] };
beforeAll(async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'refs-unknown', repositories: 4, rateLimitPerHour: 0 } });
  sb.setClock(Date.now() - 10 * 60_000);
  early = sb.simulator.actions.openPullRequest({ repository: repositories()[3]!.slug, commits: 2 });
  sb.setClock(Date.now());
  // Sets the watermarks; no repository was pushed to since activation, so no ref is known.
  await reconcileNow(sb);
});
afterAll(() => sb.stop());

const repositories = () => [...sb.simulator.model.repositories.values()];
const watermarkOf = async (uuid: string) => ((await sb.host.kvs.get(kvKey('reconcile', 'repo', uuid))) as { watermark: number }).watermark;
type Target = { target: { hash: string } } | null;
type PushBody = { push: { changes: Array<{ old: Target; new: Target & { name: string }; created: boolean }> }; pandev: { commits: Array<{ hash: string }>; commits_truncated: boolean } };
/** The pushes the receiver got for a branch: each one's old and new tips and its commits. */
const pushesTo = (branch: string) =>
  sb.sink
    .deliveries()
    .filter((d) => d.eventKey === 'repo:push')
    .map((d) => d.body as PushBody)
    .filter((body) => body.push.changes[0]!.new?.name === branch)
    .map((body) => {
      const change = body.push.changes[0]!;
      return { old: change.old?.target.hash ?? null, new: change.new?.target.hash, created: change.created, truncated: body.pandev.commits_truncated, commits: body.pandev.commits.map((c) => c.hash) };
    });

// First: Bitbucket's times never go back, and only before the other test's actions can something be
// dated half a minute before a pass.
it('delivers pushes dated just before the watermark to branches it has no tip for, exactly once', async () => {
  const [repository] = repositories();
  const watermark = await watermarkOf(repository!.uuid);
  const main = repository!.mainBranch;
  const mainTip = repository!.branches.get(main)!;
  // Made after that pass read the repository, dated 30 s before it started (Bitbucket's clock behind ours).
  sb.setClock(watermark - 30_000);
  sb.simulator.actions.createBranch({ repository: repository!.slug, name: 'feature/skewed', from: mainTip });
  const { commits: featureCommits } = sb.simulator.actions.pushCommits({ repository: repository!.slug, branch: 'feature/skewed', commits: 1 });
  const { commits: mainCommits } = sb.simulator.actions.pushCommits({ repository: repository!.slug, branch: main, commits: 1 });
  const before = watermark - repository!.commits.get(mainCommits[0]!)!.date / 1000;
  expect(before > 0 && before < CLOCK_ALLOWANCE_MS).toBe(true);
  sb.setClock(Date.now());
  sb.sink.clear();
  await reconcileNow(sb);
  await reconcileNow(sb);
  // The main branch was there before: an update from its old tip, not its creation.
  expect(pushesTo(main)).toEqual([{ old: mainTip, new: mainCommits[0], created: false, truncated: false, commits: mainCommits }]);
  // Another branch may be new: it is taken for one, with its commits not on the main branch.
  expect(pushesTo('feature/skewed')).toEqual([{ old: null, new: featureCommits[0], created: true, truncated: false, commits: featureCommits }]);
  expect(sb.sink.duplicates()).toBe(0);
}, 60_000);

it('delivers a push to the main branch it has no tip for with only the commits since the watermark, not its whole history', async () => {
  const [, repository] = repositories();
  const main = repository!.mainBranch;
  const mainTip = repository!.branches.get(main)!;
  const { commits } = sb.simulator.actions.pushCommits({ repository: repository!.slug, branch: main, commits: 3 });
  sb.sink.clear();
  await reconcileNow(sb);
  await reconcileNow(sb);
  // Newest first, as Bitbucket lists a push's commits.
  expect(pushesTo(main)).toEqual([{ old: mainTip, new: commits.at(-1), created: false, truncated: false, commits: [...commits].reverse() }]);
  expect(sb.sink.duplicates()).toBe(0);
}, 60_000);

it('delivers the newest hundred commits of a larger push to that main branch, as an update marked truncated', async () => {
  const [, , repository] = repositories();
  const main = repository!.mainBranch;
  const pushed = [1, 2, 3].flatMap(() => sb.simulator.actions.pushCommits({ repository: repository!.slug, branch: main, commits: 50 }).commits);
  sb.sink.clear();
  await reconcileNow(sb);
  await reconcileNow(sb);
  const newest = pushed.slice(-100);
  expect(pushesTo(main)).toEqual([{ old: pushed.at(-101), new: pushed.at(-1), created: false, truncated: true, commits: [...newest].reverse() }]);
  expect(sb.sink.duplicates()).toBe(0);
}, 60_000);

it('delivers a merge into that main branch from where the branch stood, with the older commits it merged', async () => {
  const [, , , repository] = repositories();
  const main = repository!.mainBranch;
  const mainTip = repository!.branches.get(main)!;
  const { mergeCommit } = sb.simulator.actions.mergePullRequest({ repository: repository!.slug, pullRequestId: early.pullRequestId, strategy: 'merge_commit' });
  sb.sink.clear();
  await reconcileNow(sb);
  await reconcileNow(sb);
  // The merged commits are older than the window, the branch's old tip older still: the merge's first
  // parent is where the branch stood, and what it merged is new to it, as a live push would list.
  expect(pushesTo(main)).toEqual([{ old: mainTip, new: mergeCommit, created: false, truncated: false, commits: [mergeCommit, ...[...early.commits].reverse()] }]);
  expect(sb.sink.duplicates()).toBe(0);
}, 60_000);

it('delivers a push of more than ten pages to a branch whose tip it knows as an update from that tip, marked truncated', async () => {
  // The test above delivered this main branch's tip: the app knows it now.
  const [, repository] = repositories();
  const main = repository!.mainBranch;
  const knownTip = repository!.branches.get(main)!;
  const pushed = Array.from({ length: 21 }, () => sb.simulator.actions.pushCommits({ repository: repository!.slug, branch: main, commits: 50 }).commits).flat();
  sb.sink.clear();
  await reconcileNow(sb);
  await reconcileNow(sb);
  // Only ten pages of the 1,050 commits are read; the branch was not made, it moved from the known tip.
  const [push, ...more] = pushesTo(main);
  expect(more).toEqual([]);
  expect(push).toMatchObject({ old: knownTip, new: pushed.at(-1), created: false, truncated: true });
  expect(push!.commits[0]).toBe(pushed.at(-1));
  expect(sb.sink.duplicates()).toBe(0);
}, 120_000);
