import type { DcSimulator } from '../../../src/sandbox/dc-sim';
import { call, FakeClock, BASE_TIME, firstRepository, repoPath, repoRef, startSim, type Json } from './helpers';

describe('pull request actions agree with later REST answers and activities', () => {
  let sim: DcSimulator;
  const clock = new FakeClock(BASE_TIME);
  let repo: string;
  let base: string;
  const get = async (path: string) => (await call(sim, `${base}${path}`)).json;
  const actions = async (id: number) => (await get(`/pull-requests/${id}/activities`)).values.map((a: Json) => a.action + (a.commentAction ? `:${a.commentAction}` : ''));
  beforeAll(async () => {
    sim = await startSim({ clock });
    repo = repoRef(firstRepository(sim));
    base = repoPath(firstRepository(sim));
  });
  afterAll(() => sim.stop());

  it('opens a pull request from a new branch: listed first, OPENED, its commits on the source branch', async () => {
    clock.advance(60_000);
    const opened = sim.actions.openPullRequest({ repository: repo, author: 'admin', reviewers: [sim.credentials.user.username], commits: 2, title: 'Add retries' });
    const pr = await get(`/pull-requests/${opened.pullRequestId}`);
    expect(pr).toMatchObject({ state: 'OPEN', title: 'Add retries', version: 0, author: { user: { name: 'admin' }, role: 'AUTHOR' }, createdDate: pr.updatedDate });
    expect(pr.reviewers).toEqual([expect.objectContaining({ user: expect.objectContaining({ name: sim.credentials.user.username }), role: 'REVIEWER', status: 'UNAPPROVED', approved: false })]);
    expect(pr.fromRef).toMatchObject({ id: `refs/heads/${opened.fromBranch}`, latestCommit: opened.commits[1] });
    expect((await get('/pull-requests')).values[0].id).toBe(opened.pullRequestId);
    expect(await actions(opened.pullRequestId)).toEqual(['OPENED']);
    expect((await get(`/pull-requests/${opened.pullRequestId}/commits`)).values.map((c: Json) => c.id)).toEqual([...opened.commits].reverse());
    expect((await get(`/branches?filterText=${encodeURIComponent(opened.fromBranch)}`)).values[0].latestCommit).toBe(opened.commits[1]);
  });

  it('follows its source branch, reviews, comments and a merge, bumping updatedDate each time', async () => {
    const { pullRequestId: id } = sim.actions.openPullRequest({ repository: repo, author: 'admin', reviewers: [sim.credentials.user.username] });
    const updated: number[] = [(await get(`/pull-requests/${id}`)).updatedDate];
    const step = async (run: () => unknown) => {
      clock.advance(1000);
      run();
      const now = (await get(`/pull-requests/${id}`)).updatedDate;
      expect(now).toBeGreaterThan(updated.at(-1) as number);
      updated.push(now);
    };
    const reviewer = sim.credentials.user.username;
    let pushed: string[] = [];
    await step(() => (pushed = sim.actions.pushToPullRequest({ repository: repo, pullRequestId: id, commits: 2 }).commits));
    await step(() => sim.actions.needsWork({ repository: repo, pullRequestId: id, reviewer }));
    await step(() => sim.actions.approvePullRequest({ repository: repo, pullRequestId: id, reviewer }));
    let commentId = 0;
    await step(() => ({ commentId } = sim.actions.addComment({ repository: repo, pullRequestId: id, author: reviewer, text: 'Nice' })));
    await step(() => sim.actions.editComment({ repository: repo, pullRequestId: id, commentId, text: 'Nice!' }));
    await step(() => sim.actions.updatePullRequest({ repository: repo, pullRequestId: id, title: 'Retries, done right', description: 'Now with tests.' }));
    const before = await get(`/pull-requests/${id}`);
    expect(before).toMatchObject({ title: 'Retries, done right', description: 'Now with tests.', fromRef: { latestCommit: pushed[1] } });
    expect(before.reviewers[0]).toMatchObject({ status: 'APPROVED', approved: true, lastReviewedCommit: pushed[1] });
    expect(before.properties.commentCount).toBe(1);
    const target = (await get(`/branches?filterText=${firstRepository(sim).defaultBranch}`)).values.find((b: Json) => b.isDefault).latestCommit;
    let mergeCommit = '';
    await step(() => ({ mergeCommit } = sim.actions.mergePullRequest({ repository: repo, pullRequestId: id })));
    const after = await get(`/pull-requests/${id}`);
    expect(after).toMatchObject({ state: 'MERGED', closed: true, closedDate: after.updatedDate, properties: { mergeCommit: { id: mergeCommit } }, toRef: { latestCommit: target } });
    expect(await actions(id)).toEqual(['MERGED', 'COMMENTED:EDITED', 'COMMENTED:ADDED', 'APPROVED', 'REVIEWED', 'RESCOPED', 'OPENED']);
    const activities = await get(`/pull-requests/${id}/activities`);
    expect(activities.values[0].commit.id).toBe(mergeCommit);
    expect(activities.values[1].comment).toMatchObject({ id: commentId, text: 'Nice!', version: 1 });
    expect(activities.values[5]).toMatchObject({ fromHash: pushed[1], added: { total: 2 }, removed: { total: 0 } });
    const merge = await get(`/commits/${mergeCommit}`);
    expect(merge.parents.map((p: Json) => p.id)).toEqual([target, pushed[1]]);
    expect(merge.message).toMatch(new RegExp(`^Pull request #${id}: Retries, done right\\n\\nMerge in ${repo}`));
    expect((await get('/commits?limit=1')).values[0].id).toBe(mergeCommit);
    expect((await get('/pull-requests?state=MERGED&limit=1')).values[0].id).toBe(id);
  });

  it('unapproves, deletes comments, declines, reopens and deletes', async () => {
    const { pullRequestId: id } = sim.actions.openPullRequest({ repository: repo, author: 'admin' });
    const { reviewer } = sim.actions.approvePullRequest({ repository: repo, pullRequestId: id });
    sim.actions.unapprovePullRequest({ repository: repo, pullRequestId: id, reviewer });
    const { commentId } = sim.actions.addComment({ repository: repo, pullRequestId: id });
    sim.actions.deleteComment({ repository: repo, pullRequestId: id, commentId });
    sim.actions.declinePullRequest({ repository: repo, pullRequestId: id });
    expect((await get(`/pull-requests/${id}`))).toMatchObject({ state: 'DECLINED', properties: { commentCount: 0 } });
    sim.actions.reopenPullRequest({ repository: repo, pullRequestId: id });
    expect(await actions(id)).toEqual(['REOPENED', 'DECLINED', 'COMMENTED:DELETED', 'COMMENTED:ADDED', 'UNAPPROVED', 'APPROVED', 'OPENED']);
    const participant = (await get(`/pull-requests/${id}`)).participants.concat((await get(`/pull-requests/${id}`)).reviewers).find((p: Json) => p.user.name === reviewer);
    expect(participant).toMatchObject({ status: 'UNAPPROVED', approved: false });
    const deleted = sim.actions.deletePullRequest({ repository: repo, pullRequestId: id });
    expect(deleted.events.map((e) => e.eventKey)).toEqual(['pr:deleted']);
    expect((await call(sim, `${base}/pull-requests/${id}`)).status).toBe(404);
    expect((await get('/pull-requests?state=ALL&limit=1000')).values.map((pr: Json) => pr.id)).not.toContain(id);
    expect(() => sim.actions.approvePullRequest({ repository: repo, pullRequestId: id })).toThrow(/not found/);
  });

  it('changes a seeded pull request in place: its generated history stays, the new activity goes on top', async () => {
    const seeded = firstRepository(sim).seeded.find((pr) => pr.state === 'OPEN')!;
    const history = (await get(`/pull-requests/${seeded.id}/activities`)).values;
    const { commits } = sim.actions.pushToPullRequest({ repository: repo, pullRequestId: seeded.id });
    sim.actions.updateReviewers({ repository: repo, pullRequestId: seeded.id, add: ['admin'] });
    const now = (await get(`/pull-requests/${seeded.id}/activities`)).values;
    expect(now.slice(2)).toEqual(history);
    expect(now.slice(0, 2).map((a: Json) => a.action)).toEqual(['UPDATED', 'RESCOPED']);
    expect(now[0].addedReviewers.map((u: Json) => u.name)).toEqual(['admin']);
    expect(now[1].added.commits.map((c: Json) => c.id)).toEqual(commits);
    const pr = await get(`/pull-requests/${seeded.id}`);
    expect(pr.fromRef.latestCommit).toBe(commits[0]);
    expect((await get(`/pull-requests/${seeded.id}/commits`)).values[0].id).toBe(commits[0]);
  });

  it('refuses what Data Center refuses', () => {
    const { pullRequestId: id } = sim.actions.openPullRequest({ repository: repo, author: 'admin' });
    expect(() => sim.actions.approvePullRequest({ repository: repo, pullRequestId: id, reviewer: 'admin' })).toThrow(/own pull request/);
    sim.actions.mergePullRequest({ repository: repo, pullRequestId: id });
    expect(() => sim.actions.mergePullRequest({ repository: repo, pullRequestId: id })).toThrow(/is MERGED/);
    expect(() => sim.actions.reopenPullRequest({ repository: repo, pullRequestId: id })).toThrow(/declined/);
    expect(() => sim.actions.openPullRequest({ repository: 'NOPE/nothing' })).toThrow(/not found/);
  });
});
