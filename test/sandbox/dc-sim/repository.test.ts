import type { DcSimulator } from '../../../src/sandbox/dc-sim';
import { call, collect, firstRepository, repoPath, repoRef, startSim, type Json } from './helpers';

describe('commit history', () => {
  let sim: DcSimulator;
  beforeAll(async () => {
    sim = await startSim({ pullRequestsPerRepository: 40 });
  });
  afterAll(() => sim.stop());

  it('lists the default branch newest first, every parent listed after its child, merges with the pull request tip as second parent', async () => {
    const repo = firstRepository(sim);
    const { values } = await collect(sim, `${repoPath(repo)}/commits?limit=1000`);
    const position = new Map(values.map((commit: Json, i: number) => [commit.id, i]));
    expect(values.at(-1).parents).toEqual([]);
    for (const [i, commit] of values.entries()) {
      for (const parent of commit.parents) expect(position.get(parent.id)).toBeGreaterThan(i);
      expect(commit.committerTimestamp).toBeGreaterThanOrEqual(values[i + 1]?.committerTimestamp ?? 0);
    }
    const merges = values.filter((commit: Json) => commit.parents.length === 2);
    const mergedPrs = repo.seeded.filter((pr) => pr.state === 'MERGED').length;
    expect(merges).toHaveLength(mergedPrs);
    const merged = (await collect(sim, `${repoPath(repo)}/pull-requests?state=MERGED`)).values;
    for (const pr of merged) {
      const merge = merges.find((commit: Json) => commit.id === pr.properties.mergeCommit.id);
      expect(merge.parents[1].id).toBe(pr.fromRef.latestCommit);
      expect(merge.parents[0].id).toBe(pr.toRef.latestCommit);
      const prCommits = (await call(sim, `${repoPath(repo)}/pull-requests/${pr.id}/commits`)).json.values;
      if (pr.id === sim.corrupt?.pullRequestId) continue;
      expect(prCommits[0].id).toBe(pr.fromRef.latestCommit);
      expect(prCommits.every((commit: Json) => position.has(commit.id))).toBe(true);
    }
  });

  it('honours since (exclusive), until (inclusive, ref or id) and merges', async () => {
    const repo = firstRepository(sim);
    const all = (await collect(sim, `${repoPath(repo)}/commits?limit=1000`)).values.map((c: Json) => c.id);
    const tag = (await call(sim, `${repoPath(repo)}/tags`)).json.values.at(-1);
    const since = (await collect(sim, `${repoPath(repo)}/commits?since=${tag.latestCommit}`)).values.map((c: Json) => c.id);
    const until = (await collect(sim, `${repoPath(repo)}/commits?until=refs/tags/${tag.displayId}`)).values.map((c: Json) => c.id);
    expect(until[0]).toBe(tag.latestCommit);
    expect(since).not.toContain(tag.latestCommit);
    expect(since.length).toBeGreaterThan(0);
    // Everything on the default branch that the tag cannot reach, in the same (newest-first) order.
    expect(since).toEqual(all.filter((id: string) => !until.includes(id)));
    const byId = (await call(sim, `${repoPath(repo)}/commits?until=${tag.latestCommit}&limit=1000`)).json.values.map((c: Json) => c.id);
    expect(byId).toEqual(until);
    const only = (await collect(sim, `${repoPath(repo)}/commits?merges=only`)).values;
    const none = (await collect(sim, `${repoPath(repo)}/commits?merges=exclude`)).values;
    expect(only.every((c: Json) => c.parents.length === 2) && none.every((c: Json) => c.parents.length < 2)).toBe(true);
    expect(only.length + none.length).toBe(all.length);
    expect((await call(sim, `${repoPath(repo)}/commits?until=no-such-branch`)).status).toBe(404);
  });

  it('shows a single commit with its parents expanded and its file changes', async () => {
    const repo = firstRepository(sim);
    const head = (await call(sim, `${repoPath(repo)}/commits?limit=1`)).json.values[0];
    const single = (await call(sim, `${repoPath(repo)}/commits/${head.id}`)).json;
    expect(single.parents[0]).toMatchObject({ id: head.parents[0].id, message: expect.any(String), authorTimestamp: expect.any(Number) });
    const changes = (await call(sim, `${repoPath(repo)}/commits/${head.id}/changes`)).json;
    expect(changes).toMatchObject({ fromHash: head.parents[0].id, toHash: head.id, properties: {} });
    expect(changes.values[0]).toMatchObject({ type: expect.stringMatching(/^(ADD|MODIFY)$/), nodeType: 'FILE', path: { toString: expect.any(String) } });
  });
});

describe('repository actions', () => {
  let sim: DcSimulator;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(() => sim.stop());

  it('pushes, branches and tags, each visible in REST and announced as repo:refs_changed', async () => {
    const repo = firstRepository(sim);
    const ref = repoRef(repo);
    const pushed = sim.actions.pushCommits({ repository: ref, commits: 2, actor: 'admin', messages: ['First', 'Second'] });
    const head = (await call(sim, `${repoPath(repo)}/commits?limit=2`)).json.values;
    expect(head.map((c: Json) => [c.id, c.message])).toEqual([[pushed.commits[1], 'Second'], [pushed.commits[0], 'First']]);
    expect(pushed.events[0]!.body).toMatchObject({ eventKey: 'repo:refs_changed', changes: [{ type: 'UPDATE', toHash: pushed.commits[1], refId: `refs/heads/${repo.defaultBranch}` }] });
    const branch = sim.actions.createBranch({ repository: ref, name: 'release/1.0' });
    expect((await call(sim, `${repoPath(repo)}/branches?filterText=release`)).json.values).toEqual([expect.objectContaining({ displayId: 'release/1.0', latestCommit: branch.commit })]);
    const removed = sim.actions.deleteBranch({ repository: ref, name: 'release/1.0' });
    expect(removed.events[0]!.body).toMatchObject({ changes: [{ type: 'DELETE', toHash: '0'.repeat(40) }] });
    expect(removed.events[0]!.body).not.toHaveProperty('toCommit');
    sim.actions.createTag({ repository: ref, name: 'v9.9.9', message: 'Release' });
    sim.actions.createTag({ repository: ref, name: 'light' });
    const tags = (await call(sim, `${repoPath(repo)}/tags?orderBy=ALPHABETICAL`)).json.values;
    expect(tags.find((t: Json) => t.displayId === 'v9.9.9')).toMatchObject({ latestCommit: pushed.commits[1], hash: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(tags.find((t: Json) => t.displayId === 'light').hash).toBeNull();
    sim.actions.deleteTag({ repository: ref, name: 'light' });
    expect((await call(sim, `${repoPath(repo)}/tags?filterText=light`)).json.values).toEqual([]);
  });

  it('force-pushes a branch: the commits only its old tip reached are gone, and since= one of them answers 404 as Data Center does', async () => {
    const repo = firstRepository(sim);
    const ref = repoRef(repo);
    sim.actions.createBranch({ repository: ref, name: 'feature/rewritten' });
    const old = sim.actions.pushCommits({ repository: ref, branch: 'feature/rewritten', commits: 2 }).commits;
    sim.actions.createBranch({ repository: ref, name: 'feature/keeps-one', from: old[0] });
    const forced = sim.actions.forcePush({ repository: ref, branch: 'feature/rewritten', commits: 1 });
    // The first old commit is still on another branch; the second was only on the rewritten one.
    expect(forced.removed).toEqual([old[1]]);
    expect(forced.events[0]!.body).toMatchObject({ changes: [{ type: 'UPDATE', fromHash: old[1], toHash: forced.commits[0] }] });
    const gone = await call(sim, `${repoPath(repo)}/commits?until=${forced.commits[0]}&since=${old[1]}`);
    expect(gone.status).toBe(404);
    expect(gone.json.errors[0]).toMatchObject({ exceptionName: 'com.atlassian.bitbucket.commit.NoSuchCommitException', message: expect.stringContaining(old[1]!) });
    expect((await call(sim, `${repoPath(repo)}/commits?until=feature/rewritten&since=${repo.defaultBranch}`)).json.values.map((c: Json) => c.id)).toEqual(forced.commits);
  });

  it('sets build statuses the build-status API then answers, newest first', async () => {
    const repo = firstRepository(sim);
    const { commit } = sim.actions.setBuildStatus({ repository: repoRef(repo), commit: repo.defaultBranch, key: 'DEPLOY', state: 'INPROGRESS', name: 'Deploy' });
    sim.actions.setBuildStatus({ repository: repoRef(repo), commit, key: 'DEPLOY', state: 'SUCCESSFUL' });
    const statuses = (await call(sim, `/rest/build-status/1.0/commits/${commit}`)).json.values;
    expect(statuses[0]).toMatchObject({ key: 'DEPLOY', state: 'SUCCESSFUL', name: 'Deploy' });
    expect((await call(sim, `/rest/build-status/latest/commits/${commit}`)).json.values).toEqual(statuses);
    const seeded = (await call(sim, `${repoPath(repo)}/commits?limit=3`)).json.values[2].id;
    expect((await call(sim, `/rest/build-status/1.0/commits/${seeded}`)).json.values).toEqual([expect.objectContaining({ key: 'CI-BUILD', state: expect.stringMatching(/SUCCESSFUL|FAILED/) })]);
  });

  it('answers a commit build statuses as the spec bounds them: the most recent 100, paged', async () => {
    const repo = firstRepository(sim);
    const commit = (await call(sim, `${repoPath(repo)}/commits?limit=2`)).json.values[1].id;
    const counted = async () => {
      const stats = (await call(sim, '/rest/build-status/1.0/commits/stats', { method: 'POST', body: [commit] })).json[commit];
      return stats ? stats.successful + stats.failed : 0;
    };
    const before = await counted();
    const keys = Array.from({ length: 105 }, (_, i) => `JOB-${i}`);
    for (const key of keys) sim.actions.setBuildStatus({ repository: repoRef(repo), commit, key, state: 'SUCCESSFUL' });
    const all = (await call(sim, `/rest/build-status/1.0/commits/${commit}?limit=1000`)).json;
    expect(all).toMatchObject({ isLastPage: true, size: 100 });
    // The newest first, so the five set first (and any seeded CI build, older still) are past the bound.
    expect(all.values.map((s: Json) => s.key)).toEqual(keys.slice(5).reverse());
    const first = (await call(sim, `/rest/build-status/1.0/commits/${commit}?limit=60`)).json;
    expect(first).toMatchObject({ isLastPage: false, nextPageStart: 60, size: 60 });
    const second = (await call(sim, `/rest/build-status/1.0/commits/${commit}?start=60&limit=60`)).json;
    expect(second).toMatchObject({ isLastPage: true, size: 40 });
    // The counts resource is not bounded: it counts every build of the commit.
    expect(await counted()).toBe(before + 105);
  });

  it('renames a repository: new slug answers, old one is gone, repo:modified carries old and new', async () => {
    const repo = sim.model.repositories[1]!;
    const oldPath = repoPath(repo);
    const renamed = sim.actions.updateRepository({ repository: repoRef(repo), name: 'Renamed Service', description: 'New words' });
    expect(renamed.slug).toBe('renamed-service');
    expect(renamed.events[0]!.body).toMatchObject({ eventKey: 'repo:modified', old: { slug: oldPath.split('/').at(-1) }, new: { slug: 'renamed-service', name: 'Renamed Service', id: repo.id } });
    expect((await call(sim, oldPath)).status).toBe(404);
    expect((await call(sim, repoPath(repo))).json).toMatchObject({ id: repo.id, description: 'New words' });
  });

  it('has a personal fork with an open pull request into its origin', async () => {
    const fork = sim.model.repositories.find((repo) => repo.originId !== undefined)!;
    const origin = sim.model.repositories.find((repo) => repo.id === fork.originId)!;
    expect((await call(sim, '/projects')).json.values.map((p: Json) => p.key)).not.toContain(fork.projectKey);
    expect((await call(sim, `/projects/${fork.projectKey}`)).json).toMatchObject({ type: 'PERSONAL', owner: { name: fork.projectKey.slice(1) } });
    const open = (await call(sim, `${repoPath(origin)}/pull-requests`)).json.values;
    const fromFork = open.find((pr: Json) => pr.fromRef.repository.id === fork.id);
    expect(fromFork.fromRef.repository).toMatchObject({ origin: { id: origin.id }, project: { type: 'PERSONAL' } });
    const commits = (await call(sim, `${repoPath(origin)}/pull-requests/${fromFork.id}/commits`)).json.values;
    expect(commits.map((c: Json) => c.message)).toEqual(['Clarify setup steps', 'Fix typo in README']);
    const merged = sim.actions.mergePullRequest({ repository: repoRef(origin), pullRequestId: fromFork.id });
    const head = (await call(sim, `${repoPath(origin)}/commits/${merged.mergeCommit}`)).json;
    expect(head.parents[1]).toMatchObject({ id: commits[0].id, message: 'Clarify setup steps' });
    const log = (await collect(sim, `${repoPath(origin)}/commits?limit=100`)).values.map((c: Json) => c.id);
    expect(log[0]).toBe(merged.mergeCommit);
    expect(log).toEqual(expect.arrayContaining(commits.map((c: Json) => c.id)));
  });
});
