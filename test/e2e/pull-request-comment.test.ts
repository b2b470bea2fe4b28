import { settingsStore } from '../../src/core/config/settings';
import { pullRequestCard } from '../../src/core/metrics/card';
import { factsStore } from '../../src/core/metrics/store';
import { hostStores } from '../../src/sandbox/host-store';
import { manualEvents, reconcileNow, testSandbox, type TestSandbox } from './helpers';

// Issue 5, through the sandbox: merging a pull request puts one DORA comment on the simulator's pull
// request, a production deployment of the merge edits that same comment, comments off means none, and
// a post whose answer is lost is found again instead of posted twice.

let sb: TestSandbox;
afterEach(() => sb.stop());

const TOKEN = 'pandev-metrics-dora';

function repository() {
  return [...sb.simulator.model.repositories.values()][0]!;
}
function ours(pullRequestId: number) {
  const pr = repository().pullRequests.get(pullRequestId)!;
  return pr.comments.filter((c) => !c.deleted && c.userUuid === sb.simulator.model.app.uuid);
}
const appRequests = () => sb.simulator.stats().byCredential.app ?? 0;

/** A pull request with a first commit, a review by someone else, and a merge; returns its id and merge commit. */
async function mergedPullRequest(): Promise<{ id: number; mergeCommit: string }> {
  const a = sb.simulator.actions;
  const repo = repository().slug;
  const { pullRequestId: id } = a.openPullRequest({ repository: repo, title: 'Add request tracing', commits: 2 });
  await sb.settle();
  // The simulator's clock stays with the app's: figures never count facts dated in the app's future.
  a.approvePullRequest({ repository: repo, pullRequestId: id });
  await sb.settle();
  const { mergeCommit } = a.mergePullRequest({ repository: repo, pullRequestId: id });
  await sb.settle();
  return { id, mergeCommit };
}

it('posts one comment after the merge and edits it when the merge reaches production', async () => {
  sb = await testSandbox();
  const { id, mergeCommit } = await mergedPullRequest();
  const posted = ours(id);
  expect(posted).toHaveLength(1);
  expect(posted[0]!.raw).toContain(TOKEN);
  expect(posted[0]!.raw).toMatch(/Pickup time \| (under 1 min|\d+ min) \|/);
  expect(posted[0]!.raw).toMatch(/Deploy time[^\n]*not available/i);
  const commentId = posted[0]!.id;

  // A staging deployment changes nothing; production of the merge commit completes the figures.
  sb.simulator.actions.runDeployment({ repository: repository().slug, environment: 'Staging', commit: mergeCommit, outcome: 'SUCCESSFUL' });
  await sb.settle();
  expect(ours(id)[0]!.raw).toBe(posted[0]!.raw);
  sb.simulator.actions.runDeployment({ repository: repository().slug, environment: 'Production', commit: mergeCommit, outcome: 'SUCCESSFUL' });
  await sb.settle();
  const edited = ours(id);
  expect(edited).toHaveLength(1);
  expect(edited[0]!.id).toBe(commentId);
  expect(edited[0]!.raw).not.toMatch(/Deploy time[^\n]*not available/i);
  expect(edited[0]!.raw).toMatch(/Deploy time/);
  // The app's own comment is not forwarded to PanDev as a developer's comment.
  expect(sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:comment_created' && JSON.stringify(d.body).includes(TOKEN))).toHaveLength(0);
}, 60_000);

it('posts nothing when comments are off for the workspace or for the repository', async () => {
  sb = await testSandbox();
  const settings = () => settingsStore(hostStores(sb.host).store, hostStores(sb.host).secrets);
  await settings().savePreferences({ prComments: false });
  const off = await mergedPullRequest();
  expect(ours(off.id)).toHaveLength(0);
  await settings().savePreferences({ prComments: true, prCommentOverrides: { [repository().uuid]: false } });
  const overridden = await mergedPullRequest();
  expect(ours(overridden.id)).toHaveLength(0);
  // The merges themselves still reached PanDev.
  expect(sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:fulfilled')).toHaveLength(2);
}, 60_000);

it('says it could not read the size, not write a comment, when the size read fails with comments off', async () => {
  sb = await testSandbox({ scheduledTriggers: false });
  await settingsStore(hostStores(sb.host).store, hostStores(sb.host).secrets).savePreferences({ prComments: false });
  // Bitbucket fails the diffstat on every try: the merge's message only reads the size for the card.
  sb.simulator.faults.add({ method: 'GET', path: '/diffstat/', status: 503 });
  const { id } = await mergedPullRequest();
  expect(ours(id)).toHaveLength(0);
  const failed = sb.logs.filter((line) => line.level === 'warn' && /could not/.test(line.message));
  expect(failed).toHaveLength(1);
  expect(failed[0]!.message).toMatch(/could not read the merged pull request's size for its card \(PR comments are off\)/);
}, 60_000);

it('says, as the card does, that a pull request\'s size is not read while file stats are off, and who can turn them on', async () => {
  sb = await testSandbox();
  await settingsStore(hostStores(sb.host).store, hostStores(sb.host).secrets).savePreferences({ commitStats: 'off' });
  const { id } = await mergedPullRequest();
  const size = ours(id)[0]!.raw.split('\n').find((line) => line.startsWith('| Size |'));
  // "not known yet" promised a size nothing will read until an admin turns file stats on.
  expect(size).toMatch(/file stats are off/);
  expect(size).not.toMatch(/\byet\b/);
  const card = await pullRequestCard(repository().uuid, id, { ...hostStores(sb.host), clock: { now: () => Date.now() } });
  if (!card.available) throw new Error(`the card has no figures: ${card.reason}`);
  expect(size).toBe(`| Size | ${card.card.pullRequest.find((row) => row.label === 'Size')!.value} |`);
}, 60_000);

it('never posts twice when the answer to the post is lost or the merge is reported again', async () => {
  sb = await testSandbox();
  // The first post is made, but its answer never arrives: the app must find it, not post again.
  sb.simulator.faults.add({ method: 'POST', path: '/comments$', drop: true, afterHandling: true, times: 1 });
  const { id } = await mergedPullRequest();
  expect(ours(id)).toHaveLength(1);
  expect(sb.logs.some((line) => /could not write the pull request comment/.test(line.message))).toBe(false);

  // The merge reported again (Forge may deliver a trigger twice): nothing new, no request spent.
  const before = appRequests();
  const text = ours(id)[0]!.raw;
  const fulfilled = sb.fired.find((event) => event.eventType === 'avi:bitbucket:fulfilled:pullrequest')!;
  await sb.host.fireEvent(fulfilled);
  await sb.settle();
  expect(ours(id)).toHaveLength(1);
  expect(ours(id)[0]!.raw).toBe(text);
  expect(appRequests() - before).toBe(0);
}, 60_000);

it('does not bring back a comment someone deleted when the merge reaches production', async () => {
  sb = await testSandbox();
  const { id, mergeCommit } = await mergedPullRequest();
  const [posted] = ours(id);
  sb.simulator.actions.deleteComment({ repository: repository().slug, pullRequestId: id, commentId: posted!.id });
  await sb.settle();
  sb.simulator.actions.runDeployment({ repository: repository().slug, environment: 'Production', commit: mergeCommit, outcome: 'SUCCESSFUL' });
  await sb.settle();
  expect(ours(id)).toHaveLength(0);
  // Nor when the merge is reported again.
  await sb.host.fireEvent(sb.fired.find((event) => event.eventType === 'avi:bitbucket:fulfilled:pullrequest')!);
  await sb.settle();
  expect(ours(id)).toHaveLength(0);
  expect(sb.logs.some((line) => /could not write the pull request comment/.test(line.message))).toBe(false);
}, 60_000);

it('posts the comment later when the queue refuses it at the merge, rather than never', async () => {
  sb = await testSandbox({ scheduledTriggers: false });
  // The installation's other traffic has used the minute's pushes just as the merge's comment is queued.
  sb.host.refusePushes('rate-limit', (body) => 'comment' in body);
  const { id } = await mergedPullRequest();
  expect(ours(id)).toHaveLength(0);
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(ours(id)).toHaveLength(1);
}, 60_000);

it('waits out Bitbucket\'s rate limit to post the comment, however many tries that takes', async () => {
  sb = await testSandbox({ scheduledTriggers: false });
  // Bitbucket's rolling hour can answer 429 for most of an hour: a wait, not a reason to give up.
  sb.simulator.faults.add({ method: 'POST', path: '/comments$', status: 429, body: 'Rate limit for this resource has been exceeded', times: 8 });
  const { id } = await mergedPullRequest();
  // Each five-minute tick tries again, until Bitbucket lets the post through.
  for (let tick = 0; tick < 10 && ours(id).length === 0; tick++) {
    await sb.host.runScheduled('five-minute-tick');
    await sb.settle();
  }
  expect(ours(id)).toHaveLength(1);
  expect(sb.logs.some((line) => /could not write the pull request comment/.test(line.message))).toBe(false);
}, 60_000);

it('writes the comment on Forge\'s own retries when Bitbucket fails for a while', async () => {
  sb = await testSandbox({ scheduledTriggers: false });
  // Five 503s: the first try and four retries, which Forge follows with more within the event's day.
  sb.simulator.faults.add({ method: 'POST', path: '/comments$', status: 503, times: 5 });
  const { id } = await mergedPullRequest();
  expect(ours(id)).toHaveLength(1);
  expect(sb.logs.some((line) => /could not write the pull request comment|comment parked|retries-exhausted|dropped after/.test(line.message))).toBe(false);
}, 60_000);

it('parks a failing comment whose retention window closes before its next retry, rather than losing it', async () => {
  // 400 s: retries 30, 60 and 120 s apart fit in it; the next, 240 s on, would not.
  sb = await testSandbox({ scheduledTriggers: false, platformRetentionSeconds: 400 });
  sb.simulator.faults.add({ method: 'POST', path: '/comments$', status: 503, times: 4 });
  const { id } = await mergedPullRequest();
  expect(ours(id)).toHaveLength(0);
  expect(sb.logs.some((line) => /comment parked: its retention window closes/.test(line.message))).toBe(true);
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(ours(id)).toHaveLength(1);
  expect(sb.logs.some((line) => /could not write the pull request comment|retries-exhausted|dropped after/.test(line.message))).toBe(false);
}, 60_000);

it('parks a failing comment at the fourth retry on a platform that reports no retention window (@forge/events 1.x), rather than losing it', async () => {
  // That platform stops after four retries and says nothing of a window: the fourth is the last one.
  sb = await testSandbox({ scheduledTriggers: false, maxPlatformRetries: 4, platformReportsRetentionWindow: false });
  sb.simulator.faults.add({ method: 'POST', path: '/comments$', status: 503, times: 5 });
  const { id } = await mergedPullRequest();
  expect(ours(id)).toHaveLength(0);
  expect(sb.logs.some((line) => /comment parked/.test(line.message))).toBe(true);
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(ours(id)).toHaveLength(1);
  expect(sb.logs.some((line) => /could not write the pull request comment|retries-exhausted|dropped after/.test(line.message))).toBe(false);
}, 60_000);

it('forwards nothing to PanDev when someone deletes the app\'s own comment, live or reconciled', async () => {
  sb = await testSandbox({ scheduledTriggers: false });
  const { id, mergeCommit } = await mergedPullRequest();
  const [posted] = ours(id);
  // A repository admin removes it (the app's own deletions are self-generated and dropped anyway).
  const admin = sb.simulator.model.users[0]!.uuid;
  sb.simulator.actions.deleteComment({ repository: repository().slug, pullRequestId: id, commentId: posted!.id, actor: admin });
  await sb.settle();
  // Its creation never reached PanDev (the app's own), so neither does its deletion.
  const aboutOurs = () => sb.sink.deliveries().filter((d) => d.eventKey.startsWith('pullrequest:comment_') && (d.body as { comment?: { id?: number } }).comment?.id === posted!.id);
  expect(aboutOurs()).toHaveLength(0);
  expect(sb.logs.some((line) => /event dropped on purpose.*own-comment/.test(line.message))).toBe(true);
  // The reconciliation finds the comment in the activity log, deleted, its text and marker gone: still ours.
  await reconcileNow(sb);
  expect(aboutOurs()).toHaveLength(0);
  // The comment's keeper knows at once, without an edit refused first.
  expect((await factsStore(hostStores(sb.host).store).comment(repository().uuid, id))?.deletedOnBitbucket).toBe(true);
  sb.simulator.actions.runDeployment({ repository: repository().slug, environment: 'Production', commit: mergeCommit, outcome: 'SUCCESSFUL' });
  await sb.settle();
  expect(ours(id)).toHaveLength(0);
}, 60_000);

it('forwards a person\'s reply that quotes the app\'s comment when only the reconciliation finds it', async () => {
  sb = await testSandbox({ scheduledTriggers: false, liveEvents: false });
  const events = manualEvents(() => sb);
  const a = sb.simulator.actions;
  const repo = repository().slug;
  let id = 0;
  await events.fire(events.act(() => ({ pullRequestId: id } = a.openPullRequest({ repository: repo, title: 'Add request tracing', commits: 2 }))));
  await events.fire(events.act(() => a.approvePullRequest({ repository: repo, pullRequestId: id })));
  await events.fire(events.act(() => a.mergePullRequest({ repository: repo, pullRequestId: id })));
  const [posted] = ours(id);
  // Bitbucket's quote copies the raw text, marker included, behind "> ". Its live event is lost.
  const quote = `${posted!.raw.trimEnd().split('\n').map((line) => `> ${line}`).join('\n')}\n\nWhy did the deploy take so long?`;
  const { commentId } = a.addComment({ repository: repo, pullRequestId: id, author: sb.simulator.model.users[0]!.uuid, content: quote });
  await reconcileNow(sb);
  const created = (comment: number) => sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:comment_created' && (d.body as { comment?: { id?: number } }).comment?.id === comment);
  expect(created(commentId)).toHaveLength(1);
  expect(created(posted!.id)).toHaveLength(0);
}, 60_000);

it.each([
  [403, /refused the app the pull request's comments \(403\): check that PanDev Metrics is still installed .* or turn PR comments off for this repository/],
  [404, /no longer has this pull request or its repository \(404\): there is nothing to comment on/],
])('gives up on a comment Bitbucket answers %i to at once, saying what to do', async (status, advice) => {
  sb = await testSandbox({ scheduledTriggers: false });
  sb.simulator.faults.add({ method: 'POST', path: '/comments$', status, body: '{"type":"error","error":{"message":"refused"}}' });
  const posts = () => sb.simulator.stats().byRoute['POST /repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments'] ?? 0;
  const { id } = await mergedPullRequest();
  expect(ours(id)).toHaveLength(0);
  // One try: Bitbucket would refuse each retry the same way.
  expect(posts()).toBe(1);
  const failed = sb.logs.filter((line) => /could not write the pull request comment/.test(line.message));
  expect(failed).toHaveLength(1);
  expect(failed[0]!.message).toMatch(advice);
}, 60_000);
