import { backdatedSandbox, manualEvents, type TestSandbox } from './helpers';

// The comment when Forge's events arrive out of order (it does not order them, and the reconciliation
// finds the ones it lost later still): the test holds Bitbucket's events and gives them to the app in
// the order it chooses. Bitbucket's clock runs hours behind, so minutes pass there without waiting.

let sb: TestSandbox;
afterEach(() => sb.stop());

const MIN = 60_000;
const events = manualEvents(() => sb);
const repository = () => [...sb.simulator.model.repositories.values()][0]!;
const ours = (pullRequestId: number) => repository().pullRequests.get(pullRequestId)!.comments.filter((c) => !c.deleted && c.userUuid === sb.simulator.model.app.uuid);

/** Opens, approves and merges a pull request; returns its events, not yet given to the app. */
function merge(): { id: number; mergeCommit: string; events: ReturnType<typeof events.act> } {
  const a = sb.simulator.actions;
  const repo = repository().slug;
  let merged = { id: 0, mergeCommit: '' };
  const fired = events.act(() => {
    const { pullRequestId: id } = a.openPullRequest({ repository: repo, title: 'Add request tracing', commits: 2 });
    a.approvePullRequest({ repository: repo, pullRequestId: id });
    merged = { id, mergeCommit: a.mergePullRequest({ repository: repo, pullRequestId: id }).mergeCommit };
  });
  return { ...merged, events: fired };
}

function deploy(environment: 'Staging' | 'Production', commit: string) {
  return events.act(() => sb.simulator.actions.runDeployment({ repository: repository().slug, environment, commit, outcome: 'SUCCESSFUL' }));
}

it('reports the first production deployment of the merge when a later one is reported first', async () => {
  sb = await backdatedSandbox();
  const merged = merge();
  await events.fire(merged.events);
  expect(ours(merged.id)).toHaveLength(1);
  sb.advance(10 * MIN);
  const first = deploy('Production', merged.mergeCommit);
  sb.advance(50 * MIN);
  const second = deploy('Production', merged.mergeCommit);

  await events.fire(second);
  expect(ours(merged.id)[0]!.raw).toMatch(/\| Deploy time \| 1 h \|/);
  const commentId = ours(merged.id)[0]!.id;
  await events.fire(first);
  expect(ours(merged.id)).toHaveLength(1);
  expect(ours(merged.id)[0]!.id).toBe(commentId);
  expect(ours(merged.id)[0]!.raw).toMatch(/\| Deploy time \| 10 min \|/);
  expect(ours(merged.id)[0]!.raw).toMatch(/\| Deployment frequency \| [^|]+\(2 in 30 days\) \|/);

  // A later production deployment changes nothing: the comment reports the first.
  const text = ours(merged.id)[0]!.raw;
  sb.advance(10 * MIN);
  await events.fire(deploy('Production', merged.mergeCommit));
  expect(ours(merged.id)[0]!.raw).toBe(text);
}, 60_000);

it('posts the deploy time at once when production reports the merge before the merge is processed', async () => {
  sb = await backdatedSandbox();
  const merged = merge();
  sb.advance(10 * MIN);
  const staging = deploy('Staging', merged.mergeCommit);
  sb.advance(10 * MIN);
  const production = deploy('Production', merged.mergeCommit);
  await events.fire([...production, ...staging]);
  await events.fire(merged.events);
  expect(ours(merged.id)).toHaveLength(1);
  expect(ours(merged.id)[0]!.raw).toMatch(/\| Deploy time \| 20 min \|/);
  expect(ours(merged.id)[0]!.raw).not.toMatch(/NaN|undefined/);
}, 60_000);

it('counts coding time from the first push to a branch made in Bitbucket, when that push is reported before the branch was', async () => {
  sb = await backdatedSandbox();
  const a = sb.simulator.actions;
  const repo = repository().slug;
  // Made in Bitbucket's UI, pushed to a minute later, the pull request opened an hour after that.
  const created = events.act(() => a.createBranch({ repository: repo, name: 'feature/ledger', from: repository().mainBranch }));
  sb.advance(MIN);
  const pushed = events.act(() => a.pushCommits({ repository: repo, branch: 'feature/ledger', commits: 2 }));
  sb.advance(60 * MIN);
  let id = 0;
  const opened = events.act(() => ({ pullRequestId: id } = a.openPullRequest({ repository: repo, sourceBranch: 'feature/ledger', title: 'Move the ledger', commits: 1 })));
  // One at a time: events fired together may be processed in either order.
  for (const fired of [pushed, created, opened]) await events.fire(fired);
  sb.advance(10 * MIN);
  await events.fire(events.act(() => a.approvePullRequest({ repository: repo, pullRequestId: id })));
  await events.fire(events.act(() => a.mergePullRequest({ repository: repo, pullRequestId: id })));

  const text = ours(id)[0]!.raw;
  expect(text).toMatch(/\| Coding time \| 1 h \|/);
  expect(text).toMatch(/\| Lead time for changes \| 1 h 10 min to merge \(no production deployments\) \|/);
}, 60_000);

it.each([
  ['the push is reported before the branch', true],
  ['the branch is reported before the push', false],
])('counts coding time from commits made before their branch was made in Bitbucket, when %s', async (_, pushFirst) => {
  sb = await backdatedSandbox();
  const start = Date.now() - 3 * 60 * MIN;
  sb.setClock(start);
  const a = sb.simulator.actions;
  const repo = repository().slug;
  // Work committed locally from 30 min on; the branch made in Bitbucket's UI an hour later, the work
  // pushed to it a minute after that, the pull request opened an hour after the push.
  const authoredAt = new Date(start + 30 * MIN).toISOString();
  sb.advance(90 * MIN);
  const created = events.act(() => a.createBranch({ repository: repo, name: 'feature/ledger', from: repository().mainBranch }));
  sb.advance(MIN);
  const pushed = events.act(() => a.pushCommits({ repository: repo, branch: 'feature/ledger', commits: 2, authoredAt }));
  sb.advance(60 * MIN);
  let id = 0;
  const opened = events.act(() => ({ pullRequestId: id } = a.openPullRequest({ repository: repo, sourceBranch: 'feature/ledger', title: 'Move the ledger', commits: 1 })));
  for (const fired of pushFirst ? [pushed, created] : [created, pushed]) await events.fire(fired);
  await events.fire(opened);
  sb.advance(10 * MIN);
  await events.fire(events.act(() => a.approvePullRequest({ repository: repo, pullRequestId: id })));
  await events.fire(events.act(() => a.mergePullRequest({ repository: repo, pullRequestId: id })));

  const text = ours(id)[0]!.raw;
  expect(text).toMatch(/\| Coding time \| 2 h 1 min \|/);
  expect(text).toMatch(/\| Lead time for changes \| 2 h 11 min to merge \(no production deployments\) \|/);
}, 60_000);
