import type { CloudSimulator, PullRequestEvent } from '../../../src/sandbox/cloud-sim';
import type { Repository } from '../../../src/sandbox/cloud-sim/model/types';
import { forgePullRequest, only, recorder, scope, SHORT_HASH } from './events';
import { BASE_TIME, call, FakeClock, firstRepository, repoPath, startSim, type Json } from './helpers';

describe('pull request mutations and their Forge events', () => {
  let sim: CloudSimulator;
  let repo: Repository;
  let prId: number;
  const clock = new FakeClock(BASE_TIME + 3_600_000);
  const prPath = () => `${repoPath(sim, repo)}/pullrequests/${prId}`;
  const reviewers = () => sim.model.users.slice(2, 4).map((user) => user.uuid);

  beforeAll(async () => {
    sim = await startSim({ clock });
    repo = firstRepository(sim);
  });
  afterAll(() => sim.stop());

  it('opens a pull request: a push creating the branch, then created:pullrequest matching the API', async () => {
    const seen = recorder(sim);
    const result = sim.actions.openPullRequest({ repository: repo.slug, author: sim.model.users[1]?.nickname, commits: 2, reviewers: reviewers(), title: 'Add caching' });
    seen.stop();
    prId = result.pullRequestId;
    expect(seen.events).toEqual(result.events);
    expect(result.events.map((event) => event.eventType)).toEqual(['avi:bitbucket:push:repository', 'avi:bitbucket:created:pullrequest']);
    const [push] = only(result.events, 'avi:bitbucket:push:repository');
    expect(push).toMatchObject({ ...scope(sim, repo), push: { ref: result.sourceBranch, mainbranch: false, created: true, closed: false, forced: false, truncated: false } });
    expect(push?.push).not.toHaveProperty('before');
    const body = push?.push;
    expect(body && 'commits' in body ? body.commits.map((commit) => commit.hash) : []).toEqual([...result.commits].reverse());
    const [created] = only(result.events, 'avi:bitbucket:created:pullrequest');
    expect(created).toEqual({ eventType: 'avi:bitbucket:created:pullrequest', ...scope(sim, repo), pullrequest: { ...forgePullRequest, id: prId, state: 'OPEN', commentCount: 0 } });
    const api = (await call(sim, prPath())).json;
    expect(api.updated_on).toBe(created?.pullrequest.updatedOn);
    expect(api.created_on).toBe(created?.pullrequest.createdOn);
    expect(api.source.commit.hash).toBe(created?.pullrequest.source.commit.hash);
    expect(api.reviewers.map((user: Json) => user.uuid)).toEqual(reviewers());
    expect(api.title).toBe('Add caching');
  });

  it('records reviews: the event timestamp is the activity date, clearing sends status null', async () => {
    clock.advance(60_000);
    const [first, second] = reviewers() as [string, string];
    const approved = sim.actions.approvePullRequest({ repository: repo.uuid, pullRequestId: prId, reviewer: first });
    const changes = sim.actions.requestChanges({ repository: repo.slug, pullRequestId: prId, reviewer: second });
    const events = [...approved.events, ...changes.events];
    expect(events.map((event) => event.eventType)).toEqual(Array(2).fill('avi:bitbucket:updated:pullrequest-reviewer-status'));
    const [approval, request] = only(events, 'avi:bitbucket:updated:pullrequest-reviewer-status');
    expect(approval).toMatchObject({ ...scope(sim, repo), pullrequest: forgePullRequest, reviewers: { truncated: false, value: [{ user: { type: 'user', uuid: first }, status: 'approved' }] } });
    const activity = (await call(sim, `${prPath()}/activity`)).json.values;
    expect(activity.find((entry: Json) => entry.approval)?.approval.date).toBe(approval?.reviewers.value[0]?.timestamp);
    expect(activity.find((entry: Json) => entry.changes_request)?.changes_request.date).toBe(request?.reviewers.value[0]?.timestamp);
    const api = (await call(sim, prPath())).json;
    expect(api.updated_on).toBe(request?.pullrequest.updatedOn);
    expect(api.participants).toEqual(expect.arrayContaining([
      expect.objectContaining({ role: 'REVIEWER', approved: true, state: 'approved', user: expect.objectContaining({ uuid: first }) }),
      expect.objectContaining({ role: 'REVIEWER', approved: false, state: 'changes_requested', user: expect.objectContaining({ uuid: second }) }),
    ]));
    const cleared = [...sim.actions.removeChangeRequest({ repository: repo.slug, pullRequestId: prId }).events, ...sim.actions.unapprovePullRequest({ repository: repo.slug, pullRequestId: prId }).events];
    expect(only(cleared, 'avi:bitbucket:updated:pullrequest-reviewer-status').map((event) => event.reviewers.value[0]?.status)).toEqual([null, null]);
    const after = (await call(sim, `${prPath()}/activity`)).json.values;
    expect(after.filter((entry: Json) => entry.approval || entry.changes_request)).toEqual([]);
    expect(() => sim.actions.approvePullRequest({ repository: repo.slug, pullRequestId: prId, reviewer: sim.model.users[1]?.uuid })).toThrow(/own pull request/);
  });

  it('adds, edits and deletes comments; edits inside ten minutes stay silent', async () => {
    const added = sim.actions.addComment({ repository: repo.slug, pullRequestId: prId, content: 'Why this TTL?' });
    const [event] = only(added.events, 'avi:bitbucket:created:pullrequest-comment');
    expect(event).toMatchObject({ ...scope(sim, repo), pullrequest: { ...forgePullRequest, commentCount: 1 }, comment: { id: added.commentId } });
    const api = (await call(sim, `${prPath()}/comments/${added.commentId}`)).json;
    expect(api).toMatchObject({ id: added.commentId, type: 'pullrequest_comment', deleted: false, content: { raw: 'Why this TTL?', type: 'rendered' } });
    expect((await call(sim, prPath())).json.comment_count).toBe(1);
    expect(sim.actions.editComment({ repository: repo.slug, pullRequestId: prId, commentId: added.commentId, content: 'Typo' }).events).toEqual([]);
    clock.advance(11 * 60_000);
    const edited = sim.actions.editComment({ repository: repo.slug, pullRequestId: prId, commentId: added.commentId, content: 'Why this TTL, again?' });
    expect(edited.events.map((e) => e.eventType)).toEqual(['avi:bitbucket:updated:pullrequest-comment']);
    const deleted = sim.actions.deleteComment({ repository: repo.slug, pullRequestId: prId, commentId: added.commentId });
    expect(deleted.events.map((e) => e.eventType)).toEqual(['avi:bitbucket:deleted:pullrequest-comment']);
    expect((await call(sim, `${prPath()}/comments/${added.commentId}`)).json).toMatchObject({ deleted: true });
    expect((await call(sim, prPath())).json.comment_count).toBe(0);
  });

  it('takes comments over REST: the app\'s own are selfGenerated, others\' cannot be edited', async () => {
    const seen = recorder(sim);
    const posted = await call(sim, `${prPath()}/comments`, { as: 'app', method: 'POST', body: { content: { raw: '**DORA**: lead time 2h' } } });
    seen.stop();
    expect(posted.status).toBe(201);
    expect(posted.json.user.type).toBe('app_user');
    expect(seen.events).toEqual([expect.objectContaining({ eventType: 'avi:bitbucket:created:pullrequest-comment', selfGenerated: true, actor: expect.objectContaining({ type: 'app_user' }), comment: { id: posted.json.id } })]);
    const path = `${prPath()}/comments/${posted.json.id}`;
    expect((await call(sim, path, { as: 'member', method: 'PUT', body: { content: { raw: 'x' } } })).status).toBe(403);
    expect((await call(sim, path, { as: 'app', method: 'PUT', body: { content: { raw: '**DORA**: lead time 3h' } } })).json.content.raw).toBe('**DORA**: lead time 3h');
    expect((await call(sim, `${prPath()}/comments`, { as: 'app', method: 'POST', body: { content: {} } })).status).toBe(400);
    expect((await call(sim, path, { as: 'app', method: 'DELETE' })).status).toBe(204);
  });

  it('follows pushes to the source branch and edits', async () => {
    const before = (await call(sim, prPath())).json.source.commit.hash;
    const pushed = sim.actions.pushToPullRequest({ repository: repo.slug, pullRequestId: prId, commits: 1 });
    expect(pushed.events.map((event) => event.eventType)).toEqual(['avi:bitbucket:push:repository', 'avi:bitbucket:updated:pullrequest']);
    const updated = pushed.events[1] as PullRequestEvent;
    expect(updated.pullrequest.source.commit.hash).toBe(pushed.commits[0]?.slice(0, 12));
    expect(updated.pullrequest.source.commit.hash).not.toBe(before);
    const edit = sim.actions.updatePullRequest({ repository: repo.slug, pullRequestId: prId, title: 'Add caching layer' });
    expect((edit.events[0] as PullRequestEvent).pullrequest.title).toEqual({ value: 'Add caching layer', truncated: false });
    expect((await call(sim, prPath())).json.updated_on).toBe((edit.events[0] as PullRequestEvent).pullrequest.updatedOn);
  });

  it('merges with a merge commit on the destination and closes the source branch', async () => {
    const mainBefore = repo.branches.get(repo.mainBranch) as string;
    const source = (await call(sim, prPath())).json.source.branch.name;
    const merged = sim.actions.mergePullRequest({ repository: repo.slug, pullRequestId: prId, actor: reviewers()[0] });
    expect(merged.events.map((event) => event.eventType)).toEqual(['avi:bitbucket:fulfilled:pullrequest', 'avi:bitbucket:push:repository', 'avi:bitbucket:push:repository']);
    const fulfilled = merged.events[0] as PullRequestEvent;
    expect(fulfilled.pullrequest).toMatchObject({ state: 'MERGED', mergeCommit: { hash: merged.mergeCommit.slice(0, 12) } });
    expect(merged.events[1]).toMatchObject({ push: { ref: repo.mainBranch, mainbranch: true, before: mainBefore, after: merged.mergeCommit } });
    expect(merged.events[2]).toMatchObject({ push: { ref: source, closed: true, created: false, commits: [] } });
    const api = (await call(sim, prPath())).json;
    expect(api).toMatchObject({ state: 'MERGED', closed_by: { uuid: reviewers()[0] }, merge_commit: { hash: expect.stringMatching(SHORT_HASH) }, updated_on: fulfilled.pullrequest.updatedOn });
    const commit = (await call(sim, `${repoPath(sim, repo)}/commit/${api.merge_commit.hash}`)).json;
    expect(commit.parents.map((parent: Json) => parent.hash)).toEqual([mainBefore, repo.commits.get(merged.mergeCommit)?.parents[1]]);
    expect((await call(sim, `${repoPath(sim, repo)}/refs/branches/${encodeURIComponent(source)}`)).status).toBe(404);
    expect(() => sim.actions.mergePullRequest({ repository: repo.slug, pullRequestId: prId })).toThrow(/MERGED/);
  });

  it('declines an open pull request', async () => {
    const open = sim.actions.openPullRequest({ repository: repo.slug });
    const declined = sim.actions.declinePullRequest({ repository: repo.slug, pullRequestId: open.pullRequestId, reason: 'superseded' });
    expect(declined.events).toEqual([{ eventType: 'avi:bitbucket:rejected:pullrequest', ...scope(sim, repo), pullrequest: { ...forgePullRequest, state: 'DECLINED' } }]);
    const api = (await call(sim, `${repoPath(sim, repo)}/pullrequests/${open.pullRequestId}`)).json;
    expect(api).toMatchObject({ state: 'DECLINED', reason: 'superseded', closed_by: expect.objectContaining({ type: 'user' }), merge_commit: null });
  });
});
