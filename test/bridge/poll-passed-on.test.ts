import path from 'node:path';
import { readStatus } from '../../src/bridge/cli/status';
import { inProcessBridge, oneRepositoryBridge, settledPass, type DcEnv } from './helpers';

// Fields of a Data Center answer the bridge only passes on (display names, emails, a participant's
// role, approval and status, a commit's message, people and author time, a changed file's type, a
// project's and repository's names, a build status's times other than the one it is dated by, a
// page's size and limit) arrive null or of another type, and the change is still delivered. Each used
// to fail its item (left out) or the whole page (the repository's pass failed), as a broken id would.

let env: DcEnv;
let running: Awaited<ReturnType<typeof inProcessBridge>>;
let repository: string;
let stop: () => Promise<void>;
beforeAll(async () => ({ env, running, repository, stop } = await oneRepositoryBridge({ seed: 'poll-passed-on', pullRequestsPerRepository: 1, historyDays: 2 })), 60_000);
afterAll(() => stop());
afterEach(() => env.sim.faults.clear());

const slug = () => repository.split('/')[1]!;

/** Passes enough for a quiet repository to read both its feeds; none may fail. */
async function passes(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) expect((await settledPass(running)).failed).toBe(0);
}

/** What the simulator answers (the admin's token), to break one field of a real item. */
async function answer(path: string): Promise<any> {
  const [project] = repository.split('/');
  return answerAt(`/rest/api/1.0/projects/${project}/repos/${slug()}${path}`);
}

async function answerAt(path: string): Promise<any> {
  const response = await fetch(`${env.sim.url}${path}`, { headers: { authorization: `Bearer ${env.sim.credentials.admin.token}` } });
  expect(response.status).toBe(200);
  return response.json();
}

// The repository's own pushes, not its fork's.
const pushesOf = (branch: string) => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).repository.project.key === repository.split('/')[0] && (d.body as any).changes[0].ref.displayId === branch).map((d) => d.body as any);

async function leftOut(): Promise<string[]> {
  const status = await readStatus(running.bridge.store);
  return status.attention.filter((item) => item.kind === 'item-left-out').map((item) => item.message);
}

it("a pull request whose author's and reviewer's names, emails, role, approval and status are odd is delivered", async () => {
  const { pullRequestId } = env.sim.actions.openPullRequest({ repository, title: 'Odd people' });
  const listed = (await answer('/pull-requests?state=ALL&limit=100')).values.find((pr: any) => pr.id === pullRequestId);
  const odd = (participant: any) => ({ ...participant, user: { ...participant.user, displayName: null, emailAddress: 17, slug: null }, role: null, approved: 'yes', status: 3 });
  env.sim.faults.add({ method: 'GET', path: `/repos/${slug()}/pull-requests$`, corruptItem: { id: pullRequestId, set: { author: odd(listed.author), reviewers: listed.reviewers.map(odd) } } });
  await passes();
  const opened = env.sink.deliveries().filter((d) => d.eventKey === 'pr:opened' && (d.body as any).pullRequest.id === pullRequestId);
  expect(opened).toHaveLength(1);
  // null is passed on as Bitbucket sent it; a value of another type is left out.
  const author = (opened[0]!.body as any).pullRequest.author;
  expect(author.user).toMatchObject({ name: listed.author.user.name, displayName: null });
  expect(author.user).not.toHaveProperty('emailAddress');
  expect(author).not.toHaveProperty('approved');
  expect((await readStatus(running.bridge.store)).repositories[0]!.skipped).toEqual([]);
}, 60_000);

it("a comment whose text and author's display name are odd is delivered", async () => {
  const { pullRequestId } = env.sim.actions.openPullRequest({ repository, title: 'Odd comment' });
  await passes();
  env.sim.actions.addComment({ repository, pullRequestId, text: 'Odd' });
  const [entry] = (await answer(`/pull-requests/${pullRequestId}/activities?limit=1`)).values;
  expect(entry.action).toBe('COMMENTED');
  env.sim.faults.add({ method: 'GET', path: `/pull-requests/${pullRequestId}/activities$`, corruptItem: { id: entry.id, set: { comment: { ...entry.comment, text: null, author: { ...entry.comment.author, displayName: 17 } } } } });
  await passes();
  const added = env.sink.deliveries().filter((d) => d.eventKey === 'pr:comment:added' && (d.body as any).pullRequest.id === pullRequestId);
  expect(added.map((d) => (d.body as any).comment.id)).toEqual([entry.comment.id]);
  expect(await leftOut()).not.toContainEqual(expect.stringContaining(`activity ${entry.id} `));
}, 60_000);

it("a commit whose message, author, author time and committer are odd is delivered in its push, those fields null", async () => {
  env.sim.actions.createBranch({ repository, name: 'odd-commit' });
  await passes();
  const commits = env.sim.actions.pushCommits({ repository, branch: 'odd-commit', commits: 2 }).commits;
  env.sim.faults.add({ method: 'GET', path: `/repos/${slug()}/commits$`, corruptItem: { where: { id: commits[0]! }, set: { message: 17, author: { name: null, emailAddress: 5 }, authorTimestamp: null, committer: 'someone' } } });
  await passes();
  const pushed = pushesOf('odd-commit').filter((p) => p.changes[0].toHash === commits[1]);
  expect(pushed).toHaveLength(1);
  const entries = pushed[0].pandev.commits;
  expect(entries.map((c: { id: string }) => c.id)).toEqual([commits[1], commits[0]]);
  expect(entries[1]).toMatchObject({ message: null, author: { name: null, email: null }, author_time: null, committer: { name: null, email: null } });
}, 60_000);

it("a changed file whose type is odd is counted in its commit", async () => {
  env.sim.actions.createBranch({ repository, name: 'odd-file' });
  await passes();
  const [commit] = env.sim.actions.pushCommits({ repository, branch: 'odd-file', commits: 1, files: 3 }).commits;
  env.sim.faults.add({ method: 'GET', path: `/commits/${commit}/changes$`, corruptItem: { index: 0, set: { type: 17 } } });
  await passes();
  const pushed = pushesOf('odd-file').filter((p) => p.changes[0].toHash === commit);
  expect(pushed).toHaveLength(1);
  expect(pushed[0].pandev.commits[0].files_count).toBe(3);
}, 60_000);

it('a branch whose isDefault is odd is delivered', async () => {
  env.sim.actions.createBranch({ repository, name: 'odd-default' });
  env.sim.actions.pushCommits({ repository, branch: 'odd-default', commits: 1 });
  env.sim.faults.add({ method: 'GET', path: `/repos/${slug()}/branches$`, corruptItem: { where: { displayId: 'odd-default' }, set: { isDefault: 'no' } } });
  await passes();
  expect(pushesOf('odd-default')).toHaveLength(1);
}, 60_000);

it("a page whose size and limit are odd is read", async () => {
  env.sim.actions.createBranch({ repository, name: 'odd-page' });
  env.sim.actions.pushCommits({ repository, branch: 'odd-page', commits: 1 });
  const page = await answer('/branches?orderBy=MODIFICATION&limit=100');
  expect(page.isLastPage).toBe(true);
  env.sim.faults.add({ method: 'GET', path: `/projects/${repository.split('/')[0]}/repos/${slug()}/branches$`, body: JSON.stringify({ ...page, size: 'many', limit: null }) });
  await passes();
  expect(pushesOf('odd-page')).toHaveLength(1);
}, 60_000);

it("a build status whose times other than the one it is dated by are odd is delivered, dated by that one", async () => {
  env.sim.actions.createBranch({ repository, name: 'odd-build' });
  await passes();
  const [tip] = env.sim.actions.pushCommits({ repository, branch: 'odd-build', commits: 1 }).commits;
  await passes();
  env.sim.actions.setBuildStatus({ repository, commit: tip!, key: 'ci', state: 'SUCCESSFUL' });
  const [status] = (await answerAt(`/rest/build-status/1.0/commits/${tip}`)).values;
  // As an instance that sends only dateAdded (with null for the others) and a createdDate of another type.
  env.sim.faults.add({ method: 'GET', path: `/rest/build-status/1.0/commits/${tip}$`, corruptItem: { where: { key: 'ci' }, set: { updatedDate: null, createdDate: 'soon' } } });
  await passes();
  const built = env.sink.deliveries().filter((d) => d.eventKey === 'pandev:build_status' && (d.body as any).commit.id === tip).map((d) => d.body as any);
  expect(built).toHaveLength(1);
  expect(built[0].buildStatus).toMatchObject({ key: 'ci', updatedDate: null, dateAdded: status.dateAdded });
  expect(built[0].buildStatus).not.toHaveProperty('createdDate');
  expect(built[0].pandev.event_time).toBe(new Date(status.dateAdded).toISOString());
}, 60_000);

const oddNames = (repo: any) => ({ ...repo, name: null, project: { ...repo.project, name: 17 } });

it("a pull request whose repository's and project's names are odd is delivered", async () => {
  const { pullRequestId } = env.sim.actions.openPullRequest({ repository, title: 'Odd names' });
  const listed = (await answer('/pull-requests?state=ALL&limit=100')).values.find((pr: any) => pr.id === pullRequestId);
  const odd = (ref: any) => ({ ...ref, repository: oddNames(ref.repository) });
  env.sim.faults.add({ method: 'GET', path: `/repos/${slug()}/pull-requests$`, corruptItem: { id: pullRequestId, set: { fromRef: odd(listed.fromRef), toRef: odd(listed.toRef) } } });
  await passes();
  const opened = env.sink.deliveries().filter((d) => d.eventKey === 'pr:opened' && (d.body as any).pullRequest.id === pullRequestId);
  expect(opened).toHaveLength(1);
  const shown = (opened[0]!.body as any).pullRequest.toRef.repository;
  expect(shown.name).toBeNull();
  expect(shown.project).not.toHaveProperty('name');
}, 60_000);

// Last: a second bridge on the same instance and PanDev delivers what the first one did again.
it("a repository listing whose names are odd is read, and its repositories polled", async () => {
  const listing = await answerAt('/rest/api/1.0/repos?permission=REPO_READ&limit=1000');
  const listed = listing.values.find((repo: any) => `${repo.project.key}/${repo.slug}` === repository);
  env.sim.faults.add({ method: 'GET', path: '/rest/api/1.0/repos$', corruptItem: { id: listed.id, set: oddNames(listed) } });
  const second = await inProcessBridge(env.config({ BRIDGE_DB: path.join(env.dir, 'odd-names.db') }));
  try {
    const summary = await settledPass(second);
    expect(summary).toMatchObject({ repositories: listing.values.length, failed: 0 });
  } finally {
    await second.stop();
  }
}, 60_000);
