import path from 'node:path';
import { readStatus } from '../../src/bridge/cli/status';
import { inProcessBridge, oneRepositoryBridge, projectRepositories, settledPass, type DcEnv } from './helpers';

// One item of a Data Center feed in a shape the bridge cannot read (a branch, a tag, a commit of a
// push, a changed file, an activity entry, a build status) is left out alone, named in `status` once
// while reads keep meeting it, and counted once as dropped; everything else of its feed is delivered
// and the repository's pass goes on succeeding. Each page used to be parsed whole: the repository's
// pass failed every time (refs, commits, files), the pull request was skipped whole on every pass
// (activities), or no watched commit's builds were read (build statuses).

let env: DcEnv;
let running: Awaited<ReturnType<typeof inProcessBridge>>;
let repository: string;
let stop: () => Promise<void>;
let lines: string[];
beforeAll(async () => ({ env, running, lines, repository, stop } = await oneRepositoryBridge({ seed: 'poll-bad-item', pullRequestsPerRepository: 1, historyDays: 2 })), 60_000);
afterAll(() => stop());
afterEach(() => env.sim.faults.clear());

const slug = () => repository.split('/')[1]!;

/** Passes enough for a quiet repository to read both its feeds; none may fail. */
async function passes(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) expect((await settledPass(running)).failed).toBe(0);
}

const pushesOf = (branch: string) => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].ref.displayId === branch).map((d) => d.body as any);

async function leftOut(): Promise<string[]> {
  const status = await readStatus(running.bridge.store);
  return status.attention.filter((item) => item.kind === 'item-left-out').map((item) => item.message);
}

async function dropped(): Promise<number> {
  return (await readStatus(running.bridge.store)).last24h.dropped;
}

it('a branch: the others are compared and delivered, it is named once, and read once Bitbucket answers it again', async () => {
  for (const name of ['feeds-good', 'feeds-bad']) {
    env.sim.actions.createBranch({ repository, name });
    env.sim.actions.pushCommits({ repository, branch: name, commits: 1 });
  }
  env.sim.faults.add({ method: 'GET', path: `/repos/${slug()}/branches$`, corruptItem: { where: { displayId: 'feeds-bad' }, set: { latestCommit: 17 } } });
  const before = await dropped();
  await passes(4);
  expect(pushesOf('feeds-good')).toHaveLength(1);
  expect(pushesOf('feeds-bad')).toHaveLength(0);
  const messages = await leftOut();
  expect(messages).toHaveLength(1);
  expect(messages[0]).toMatch(/^Bitbucket listed the branch or tag "feeds-bad" in an unexpected shape \(latestCommit: .*\): it is left out, .*send this message and your Bitbucket version to PanDev support/);
  expect((await readStatus(running.bridge.store)).repositories[0]!.error).toBeUndefined();
  expect((await dropped()) - before).toBe(1);

  env.sim.faults.clear();
  await passes();
  expect(pushesOf('feeds-bad')).toHaveLength(1);
}, 60_000);

it('a tag: the others are delivered', async () => {
  env.sim.actions.createTag({ repository, name: 'tag-good' });
  env.sim.actions.createTag({ repository, name: 'tag-bad' });
  env.sim.faults.add({ method: 'GET', path: `/repos/${slug()}/tags$`, corruptItem: { where: { displayId: 'tag-bad' }, set: { displayId: 17 } } });
  // The seeded tags went with the backfill (origin backfill); these two are the poll's.
  const tagged = () => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && d.headers['x-pandev-origin'] === 'poll' && (d.body as any).changes[0].ref.type === 'TAG').map((d) => (d.body as any).changes[0].ref.displayId);
  // Tags are listed every tenth pass of a quiet repository.
  for (let i = 0; i < 12 && !tagged().includes('tag-good'); i++) await passes(1);
  expect(tagged()).toEqual(['tag-good']);
  expect((await leftOut()).some((message) => message.startsWith('Bitbucket listed a branch or tag in an unexpected shape (displayId'))).toBe(true);
}, 120_000);

it("a commit of a push: the push is delivered with its other commits", async () => {
  env.sim.actions.createBranch({ repository, name: 'feeds-commits' });
  await passes();
  const commits = env.sim.actions.pushCommits({ repository, branch: 'feeds-commits', commits: 3 }).commits;
  env.sim.faults.add({ method: 'GET', path: `/repos/${slug()}/commits$`, corruptItem: { where: { id: commits[1]! }, set: { displayId: 17 } } });
  await passes();
  const pushed = pushesOf('feeds-commits').filter((p) => p.changes[0].toHash === commits[2]);
  expect(pushed).toHaveLength(1);
  expect(pushed[0].pandev.commits.map((c: { id: string }) => c.id)).toEqual([commits[2], commits[0]]);
  expect(await leftOut()).toContainEqual(expect.stringContaining(`commit ${commits[1]!.slice(0, 12)} in an unexpected shape (displayId`));
}, 60_000);

it("a changed file of a commit: the push is delivered with the commit's other files", async () => {
  env.sim.actions.createBranch({ repository, name: 'feeds-files' });
  await passes();
  const [commit] = env.sim.actions.pushCommits({ repository, branch: 'feeds-files', commits: 1, files: 3 }).commits;
  env.sim.faults.add({ method: 'GET', path: `/commits/${commit}/changes$`, corruptItem: { index: 0, set: { path: 17 } } });
  await passes();
  const pushed = pushesOf('feeds-files').filter((p) => p.changes[0].toHash === commit);
  expect(pushed).toHaveLength(1);
  expect(pushed[0].pandev.commits[0].files_count).toBe(2);
  expect(await leftOut()).toContainEqual(expect.stringContaining(`a changed file of commit ${commit!.slice(0, 12)} in an unexpected shape (path`));
}, 60_000);

it('an activity entry: the pull request is read, not skipped, and its other activities delivered', async () => {
  const { pullRequestId } = env.sim.actions.openPullRequest({ repository, title: 'Bad activity' });
  await passes();
  env.sim.actions.addComment({ repository, pullRequestId, text: 'First' });
  env.sim.actions.addComment({ repository, pullRequestId, text: 'Second' });
  // The newest first: the second comment's entry.
  env.sim.faults.add({ method: 'GET', path: `/pull-requests/${pullRequestId}/activities$`, corruptItem: { index: 0, set: { createdDate: 'not a date' } } });
  await passes();
  const comments = env.sink.deliveries().filter((d) => d.eventKey === 'pr:comment:added' && (d.body as any).pullRequest.id === pullRequestId).map((d) => (d.body as any).comment.text);
  expect(comments).toEqual(['First']);
  const status = await readStatus(running.bridge.store);
  expect(status.repositories[0]!.skipped).toEqual([]);
  expect(await leftOut()).toContainEqual(expect.stringMatching(new RegExp(`^Bitbucket listed activity \\d+ of pull request #${pullRequestId} in an unexpected shape \\(createdDate`)));
}, 60_000);

it('a build status: the commit’s others are delivered', async () => {
  env.sim.actions.createBranch({ repository, name: 'feeds-builds' });
  await passes();
  const [tip] = env.sim.actions.pushCommits({ repository, branch: 'feeds-builds', commits: 1 }).commits;
  await passes();
  env.sim.actions.setBuildStatus({ repository, commit: tip!, key: 'ci-good', state: 'SUCCESSFUL' });
  env.sim.actions.setBuildStatus({ repository, commit: tip!, key: 'ci-bad', state: 'FAILED' });
  env.sim.faults.add({ method: 'GET', path: `/rest/build-status/1.0/commits/${tip}$`, corruptItem: { where: { key: 'ci-bad' }, set: { state: 17 } } });
  await passes();
  const built = env.sink.deliveries().filter((d) => d.eventKey === 'pandev:build_status' && (d.body as any).commit.id === tip).map((d) => (d.body as any).pandev.key);
  expect(built).toEqual(['ci-good']);
  expect(await leftOut()).toContainEqual(expect.stringContaining(`build status "ci-bad" of commit ${tip!.slice(0, 12)} in an unexpected shape (state`));
}, 60_000);

it('a build status whose dating time is not a date: left out, named by that time; the commit’s others delivered', async () => {
  env.sim.actions.createBranch({ repository, name: 'feeds-undated' });
  await passes();
  const [tip] = env.sim.actions.pushCommits({ repository, branch: 'feeds-undated', commits: 1 }).commits;
  await passes();
  env.sim.actions.setBuildStatus({ repository, commit: tip!, key: 'ci-dated', state: 'SUCCESSFUL' });
  env.sim.actions.setBuildStatus({ repository, commit: tip!, key: 'ci-undated', state: 'FAILED' });
  // A null time is one not sent: dateAdded dates the status no more than it would if absent.
  env.sim.faults.add({ method: 'GET', path: `/rest/build-status/1.0/commits/${tip}$`, corruptItem: { where: { key: 'ci-undated' }, set: { updatedDate: 'yesterday', dateAdded: null } } });
  await passes();
  const built = env.sink.deliveries().filter((d) => d.eventKey === 'pandev:build_status' && (d.body as any).commit.id === tip).map((d) => (d.body as any).pandev.key);
  expect(built).toEqual(['ci-dated']);
  expect(await leftOut()).toContainEqual(expect.stringContaining(`build status "ci-undated" of commit ${tip!.slice(0, 12)} in an unexpected shape (updatedDate: not a date, and the status is dated and told apart by it)`));
}, 60_000);

it("a commit's entry in the build counts: that commit's statuses are read one by one, the counts resource stays in use", async () => {
  const route = { stats: 'POST /rest/build-status/1.0/commits/stats', statuses: 'GET /rest/build-status/1.0/commits/{commitId}' };
  for (const name of ['counts-good', 'counts-bad']) env.sim.actions.createBranch({ repository, name });
  await passes();
  const [good] = env.sim.actions.pushCommits({ repository, branch: 'counts-good', commits: 1 }).commits;
  const [bad] = env.sim.actions.pushCommits({ repository, branch: 'counts-bad', commits: 1 }).commits;
  await passes();
  for (const commit of [good!, bad!]) env.sim.actions.setBuildStatus({ repository, commit, key: 'ci', state: 'SUCCESSFUL' });
  env.sim.faults.add({ method: 'POST', path: '/rest/build-status/1.0/commits/stats$', corruptEntry: { key: bad!, value: { successful: 'one' } } });
  const builtOf = (commit: string) => env.sink.deliveries().filter((d) => d.eventKey === 'pandev:build_status' && (d.body as any).commit.id === commit).map((d) => `${(d.body as any).pandev.key}:${(d.body as any).pandev.state}`);
  await passes(1);
  expect(builtOf(good!)).toEqual(['ci:SUCCESSFUL']);
  expect(builtOf(bad!)).toEqual(['ci:SUCCESSFUL']);
  expect(lines.some((line) => line.includes('build counts of these commits in an unexpected shape') && line.includes(`commit ${bad!.slice(0, 12)} (successful: a string, where the app needs a number)`))).toBe(true);

  // Later passes still ask for the counts, and read in detail only the commit whose entry is bad...
  env.sim.resetStats();
  await passes(2);
  expect(env.sim.stats().byRoute[route.stats]).toBe(2);
  expect(env.sim.stats().byRoute[route.statuses]).toBe(2);
  // ...so a later build of it is delivered without waiting for its counts.
  env.sim.actions.setBuildStatus({ repository, commit: bad!, key: 'ci', state: 'FAILED' });
  await passes(1);
  expect(builtOf(bad!)).toEqual(['ci:SUCCESSFUL', 'ci:FAILED']);
}, 60_000);

// Last: bridges of their own on the same instance, each listing from its first pass. The instance
// holds a fork in a personal project besides the project's repository: the one left to poll.
it.each([
  ['its id missing', { id: null }, 'id: null, where the app needs a number'],
  ['its slug of another type', { slug: 17 }, 'slug: a number, where the app needs a string'],
])('a repository of the listing, %s: it alone is not polled, named in the log and in status; the others are polled', async (_what, set, issue) => {
  const bad = projectRepositories(env.sim)[0]!;
  env.sim.faults.add({ method: 'GET', path: '/rest/api/1.0/repos$', corruptItem: { id: bad.id, set } });
  const config = env.config({ BRIDGE_DB: path.join(env.dir, `listing-${'id' in set ? 'id' : 'slug'}.db`) });
  const own: string[] = [];
  let bridge = await inProcessBridge(config, own);
  try {
    const summary = await settledPass(bridge);
    expect(summary).toMatchObject({ failed: 0 });
    expect(summary.repositories).toBeGreaterThan(0);
    let status = await readStatus(bridge.bridge.store);
    expect(status.repositories.filter((repo) => repo.lastSuccessAt !== null)).toHaveLength(summary.repositories);
    expect(status.repositories.map((repo) => repo.id)).not.toContain(String(bad.id));
    const reason = `Bitbucket listed the repository "${'id' in set ? repository : `${bad.projectKey}/${bad.name}`}" in an unexpected shape (${issue})`;
    expect(status.attention.filter((item) => item.kind === 'item-left-out')).toEqual([
      expect.objectContaining({ repository: 'id' in set ? repository : `${bad.projectKey}/${bad.name}`, repositoryId: 'id' in set ? null : String(bad.id), message: expect.stringContaining(`${reason}: it is not polled while Bitbucket lists it this way, and the other repositories are`) }),
    ]);
    const warned = own.map((line) => JSON.parse(line) as { level: string; msg: string; reason?: string }).filter((line) => line.level === 'warn' && line.msg.startsWith('left out of the repository listing'));
    expect(warned.map((line) => line.reason)).toEqual([reason]);

    // Listed readably again (the next listing: a restart lists at once), it is polled and no longer named.
    env.sim.faults.clear();
    await bridge.stop();
    bridge = await inProcessBridge(config, own);
    expect(await settledPass(bridge)).toMatchObject({ failed: 0, repositories: summary.repositories + 1 });
    status = await readStatus(bridge.bridge.store);
    expect(status.repositories.find((repo) => repo.id === String(bad.id))?.lastSuccessAt).not.toBeNull();
    expect(status.attention.filter((item) => item.kind === 'item-left-out')).toEqual([]);

    // Listed so again once polled: its cursor says it is not polled, and status names it all the same.
    env.sim.faults.add({ method: 'GET', path: '/rest/api/1.0/repos$', corruptItem: { id: bad.id, set } });
    await bridge.stop();
    bridge = await inProcessBridge(config, own);
    expect(await settledPass(bridge)).toMatchObject({ failed: 0, repositories: summary.repositories });
    status = await readStatus(bridge.bridge.store);
    expect(status.repositories.find((repo) => repo.id === String(bad.id))?.notPolled).toBe(true);
    expect(status.attention.filter((item) => item.kind === 'item-left-out').map((item) => item.message)).toEqual([expect.stringContaining(reason)]);
  } finally {
    await bridge.stop();
  }
}, 60_000);

it("a repository of the listing in an unexpected shape that this bridge's selection leaves out is not named by it", async () => {
  const bad = projectRepositories(env.sim)[0]!;
  env.sim.faults.add({ method: 'GET', path: '/rest/api/1.0/repos$', corruptItem: { id: bad.id, set: { id: null } } });
  const own: string[] = [];
  const other = await inProcessBridge(env.config({ BRIDGE_DB: path.join(env.dir, 'listing-deselected.db'), BITBUCKET_REPOS: `!${repository}` }), own);
  try {
    expect(await settledPass(other)).toMatchObject({ failed: 0 });
    expect((await readStatus(other.bridge.store)).attention.filter((item) => item.kind === 'item-left-out')).toEqual([]);
    expect(own.filter((line) => line.includes('left out of the repository listing'))).toEqual([]);
  } finally {
    await other.stop();
  }
}, 60_000);
