import { backdatedSandbox, type TestSandbox } from './helpers';

// The first commit a merged pull request's comment counts from when its branch's history is not one
// straight run of pushes: a force push, a branch name used again, a branch merged elsewhere first, a
// squash merge. Bitbucket's clock runs hours behind, so minutes pass there without waiting.

let sb: TestSandbox;
afterEach(() => sb.stop());

const MIN = 60_000;
const repository = () => [...sb.simulator.model.repositories.values()][0]!;
const ours = (pullRequestId: number) => repository().pullRequests.get(pullRequestId)!.comments.filter((c) => !c.deleted && c.userUuid === sb.simulator.model.app.uuid);
const row = (id: number, label: string) => ours(id)[0]?.raw.split('\n').find((line) => line.startsWith(`| ${label} |`));

/** Does a step in Bitbucket, `minutes` after the last, and lets the app take its events in order. */
async function after<T>(minutes: number, step: () => T): Promise<T> {
  sb.advance(minutes * MIN);
  const result = step();
  await sb.settle();
  return result;
}

async function approveAndMerge(id: number, minutes: number, strategy?: 'squash'): Promise<void> {
  const a = sb.simulator.actions;
  await after(minutes, () => a.approvePullRequest({ repository: repository().slug, pullRequestId: id }));
  await after(0, () => a.mergePullRequest({ repository: repository().slug, pullRequestId: id, ...(strategy ? { strategy } : {}) }));
}

it('counts from the oldest commit when a force push amended only the newest', async () => {
  sb = await backdatedSandbox({ liveEvents: true });
  const a = sb.simulator.actions;
  const repo = repository().slug;
  // The walk that tells what a force push left needs the main branch's head among the commits seen.
  await after(0, () => a.pushCommits({ repository: repo, branch: repository().mainBranch, commits: 1 }));
  await after(0, () => a.createBranch({ repository: repo, name: 'feature/audit', from: repository().mainBranch }));
  const { commits } = await after(1, () => a.pushCommits({ repository: repo, branch: 'feature/audit', commits: 2 }));
  // Bitbucket collects the replaced commit some time after a force push, the simulator at once: a tag
  // keeps it for the time the app takes to read the push.
  await after(0, () => a.createTag({ repository: repo, name: 'before-amend', target: commits[1]! }));
  await after(60, () => a.forcePush({ repository: repo, branch: 'feature/audit', onto: commits[0]!, commits: 1 }));
  const { pullRequestId: id } = await after(1, () => a.openPullRequest({ repository: repo, sourceBranch: 'feature/audit', title: 'Audit log', commits: 1 }));
  await approveAndMerge(id, 10);

  expect(row(id, 'Coding time')).toBe('| Coding time | 1 h 1 min |');
  expect(row(id, 'Lead time for changes')).toBe('| Lead time for changes | 1 h 11 min to merge (no production deployments) |');
}, 60_000);

it('counts from the first commit of the branch made again under the same name, not the old one\'s', async () => {
  sb = await backdatedSandbox({ liveEvents: true });
  const a = sb.simulator.actions;
  const repo = repository().slug;
  await after(0, () => a.createBranch({ repository: repo, name: 'feature/audit', from: repository().mainBranch }));
  await after(1, () => a.pushCommits({ repository: repo, branch: 'feature/audit', commits: 2 }));
  const { pullRequestId: declined } = await after(1, () => a.openPullRequest({ repository: repo, sourceBranch: 'feature/audit', title: 'Audit log', commits: 1 }));
  await after(1, () => a.declinePullRequest({ repository: repo, pullRequestId: declined }));
  await after(1, () => a.deleteBranch({ repository: repo, name: 'feature/audit' }));
  await after(60, () => a.createBranch({ repository: repo, name: 'feature/audit', from: repository().mainBranch }));
  await after(1, () => a.pushCommits({ repository: repo, branch: 'feature/audit', commits: 2 }));
  const { pullRequestId: id } = await after(60, () => a.openPullRequest({ repository: repo, sourceBranch: 'feature/audit', title: 'Audit log, again', commits: 1 }));
  await approveAndMerge(id, 10);

  expect(row(id, 'Coding time')).toBe('| Coding time | 1 h |');
  expect(row(id, 'Lead time for changes')).toBe('| Lead time for changes | 1 h 10 min to merge (no production deployments) |');
}, 60_000);

it('counts from the branch\'s first commit when it was merged into another branch before the main one', async () => {
  sb = await backdatedSandbox({ liveEvents: true });
  const a = sb.simulator.actions;
  const repo = repository().slug;
  await after(0, () => a.createBranch({ repository: repo, name: 'staging', from: repository().mainBranch }));
  await after(0, () => a.createBranch({ repository: repo, name: 'feature/audit', from: repository().mainBranch }));
  await after(1, () => a.pushCommits({ repository: repo, branch: 'feature/audit', commits: 2 }));
  const { pullRequestId: staged } = await after(60, () => a.openPullRequest({ repository: repo, sourceBranch: 'feature/audit', destinationBranch: 'staging', title: 'Audit log', commits: 1, closeSourceBranch: false }));
  await approveAndMerge(staged, 10);
  const { pullRequestId: id } = await after(10, () => a.openPullRequest({ repository: repo, sourceBranch: 'feature/audit', title: 'Audit log to main', commits: 1 }));
  await approveAndMerge(id, 10);

  // Work began with the first push, 80 minutes before this pull request was opened.
  expect(row(id, 'Coding time')).toBe('| Coding time | 1 h 20 min |');
  expect(row(id, 'Lead time for changes')).toBe('| Lead time for changes | 1 h 30 min to merge (no production deployments) |');
}, 60_000);

it('counts from the branch\'s first commit when the pull request is squash-merged', async () => {
  sb = await backdatedSandbox({ liveEvents: true });
  const a = sb.simulator.actions;
  const repo = repository().slug;
  await after(0, () => a.createBranch({ repository: repo, name: 'feature/audit', from: repository().mainBranch }));
  await after(1, () => a.pushCommits({ repository: repo, branch: 'feature/audit', commits: 2 }));
  const { pullRequestId: id } = await after(60, () => a.openPullRequest({ repository: repo, sourceBranch: 'feature/audit', title: 'Audit log', commits: 1 }));
  await approveAndMerge(id, 10, 'squash');

  expect(row(id, 'Coding time')).toBe('| Coding time | 1 h |');
  expect(row(id, 'Lead time for changes')).toBe('| Lead time for changes | 1 h 10 min to merge (no production deployments) |');
}, 60_000);
