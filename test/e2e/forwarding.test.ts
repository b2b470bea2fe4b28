import { verify } from '../../src/core/deliver/sign';
import { PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// Issue 2, end to end: Bitbucket changes in the simulator become Forge events, the real app runs on the
// local Forge host with the real SDK, and signed native webhooks land at the PanDev receiver.

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS } })));
afterAll(() => sb.stop());

const pullRequestKeys = new Set(['pullrequest:created', 'pullrequest:updated', 'pullrequest:fulfilled', 'pullrequest:rejected', 'pullrequest:approved', 'pullrequest:unapproved', 'pullrequest:changes_request_created', 'pullrequest:changes_request_removed', 'pullrequest:comment_created', 'pullrequest:comment_updated', 'pullrequest:comment_deleted']);

it('delivers every event of the mapping with its key, endpoint, headers, signature and body', async () => {
  const { simulator: sim, sink } = sb;
  const repo = [...sim.model.repositories.values()][0]!.slug;
  const a = sim.actions;
  const pr = a.openPullRequest({ repository: repo, title: 'Add rate limiting' });
  const id = pr.pullRequestId;
  a.updatePullRequest({ repository: repo, pullRequestId: id, description: 'Now with tests' });
  const { reviewer } = a.approvePullRequest({ repository: repo, pullRequestId: id });
  a.unapprovePullRequest({ repository: repo, pullRequestId: id, reviewer });
  a.requestChanges({ repository: repo, pullRequestId: id, reviewer });
  a.removeChangeRequest({ repository: repo, pullRequestId: id, reviewer });
  // Events are thin and the app reads the current state, so changes to one comment are spaced out as
  // they are in real life (Forge reports an edit only ten minutes after the last change anyway).
  const { commentId } = a.addComment({ repository: repo, pullRequestId: id, content: 'Looks good' });
  await sb.settle();
  sb.advance(11 * 60 * 1000);
  a.editComment({ repository: repo, pullRequestId: id, commentId, content: 'Looks good to me' });
  await sb.settle();
  a.deleteComment({ repository: repo, pullRequestId: id, commentId });
  a.mergePullRequest({ repository: repo, pullRequestId: id });
  const other = a.openPullRequest({ repository: repo, title: 'Experiment' });
  a.declinePullRequest({ repository: repo, pullRequestId: other.pullRequestId });
  const pushed = a.pushCommits({ repository: repo, commits: 2 });
  a.setBuildStatus({ repository: repo, commit: pushed.commits[0]!, key: 'ci/build', state: 'INPROGRESS' });
  a.setBuildStatus({ repository: repo, commit: pushed.commits[0]!, key: 'ci/build', state: 'SUCCESSFUL' });
  a.runDeployment({ repository: repo, environment: 'Production' });
  const created = a.createRepository({ name: 'sandbox-new' });
  a.updateRepository({ repository: created.slug, description: 'renamed soon' });
  await sb.settle();
  a.deleteRepository({ repository: created.slug });
  await sb.settle();

  const deliveries = sink.deliveries();
  // Every Forge event the simulator fired became exactly one delivery (reviewer events here are 1:1),
  // except the one the app caused itself: its DORA comment on the merged pull request.
  const selfGenerated = sb.fired.filter((event) => event.selfGenerated);
  expect(selfGenerated.map((event) => event.eventType)).toEqual(['avi:bitbucket:created:pullrequest-comment']);
  expect(deliveries).toHaveLength(sb.fired.length - selfGenerated.length);
  const keys = new Set(deliveries.map((d) => d.eventKey));
  for (const key of [...pullRequestKeys, 'repo:push', 'repo:commit_status_created', 'repo:commit_status_updated', 'repo:created', 'repo:updated', 'repo:deleted', 'pandev:deployment']) {
    expect({ key, delivered: keys.has(key) }).toEqual({ key, delivered: true });
  }
  expect(deliveries.filter((d) => d.eventKey === 'pandev:deployment')).toHaveLength(3);

  for (const d of deliveries) {
    expect(d.endpoint).toBe(pullRequestKeys.has(d.eventKey) ? 'merge-request' : 'repository');
    expect(d.attempt).toBe(1);
    expect(d.headers).toMatchObject({
      'x-event-key': d.eventKey,
      'x-request-uuid': d.id,
      'x-attempt-number': '1',
      'x-pandev-edition': 'cloud',
      'x-pandev-origin': 'trigger',
      'content-type': 'application/json',
      authorization: `Bearer ${sb.pandev.token}`,
    });
    expect(d.headers['user-agent']).toMatch(/^pandev-bitbucket\/\d+\.\d+\.\d+/);
    expect(verify(sb.pandev.signingSecret, d.raw, d.headers['x-hub-signature'])).toBe(true);
    const body = d.body as Record<string, any>;
    expect(body.repository.type).toBe('repository');
    if (pullRequestKeys.has(d.eventKey)) {
      expect(body.pullrequest.type).toBe('pullrequest');
      expect(body.actor.type).toBe('user');
    }
  }
  const byKey = (key: string) => deliveries.find((d) => d.eventKey === key)!.body as Record<string, any>;
  expect(byKey('pullrequest:created').pullrequest).toMatchObject({ id, title: 'Add rate limiting' });
  expect(byKey('pullrequest:approved').approval).toMatchObject({ user: { uuid: reviewer.startsWith('{') ? reviewer : expect.any(String) } });
  expect(byKey('pullrequest:changes_request_created').changes_request.date).toEqual(expect.any(String));
  expect(byKey('pullrequest:comment_created').comment).toMatchObject({ id: commentId, content: { raw: 'Looks good' } });
  expect(byKey('pullrequest:comment_deleted').comment).toMatchObject({ id: commentId, deleted: true });
  expect(byKey('pullrequest:fulfilled').pullrequest).toMatchObject({ id, state: 'MERGED', merge_commit: { hash: expect.any(String) } });
  // The deployment's pipeline reports its own build statuses too: the one set above is found by its key.
  const ciBuild = deliveries.filter((d) => d.eventKey === 'repo:commit_status_updated').map((d) => (d.body as Record<string, any>).commit_status).filter((status) => status.key === 'ci/build');
  expect(ciBuild).toEqual([expect.objectContaining({ key: 'ci/build', state: 'SUCCESSFUL' })]);
  const deployment = deliveries.filter((d) => d.eventKey === 'pandev:deployment').map((d) => (d.body as Record<string, any>).pandev.deployment);
  expect(deployment.map((x) => x.action).sort()).toEqual(['completed', 'pending', 'started']);
  expect(deployment.every((x) => x.is_production === true)).toBe(true);
  const pushes = deliveries.filter((d) => d.eventKey === 'repo:push').map((d) => (d.body as Record<string, any>).push.changes[0]);
  const ours = pushes.find((change) => change.commits.some((c: { hash: string }) => c.hash === pushed.commits[0]));
  expect(ours).toMatchObject({ new: { type: 'branch', target: { hash: pushed.commits[pushed.commits.length - 1] } }, old: { target: { hash: expect.any(String) } }, created: false });
  expect(byKey('repo:deleted').repository.name).toBe('sandbox-new');
});

it('sends a change found twice (a re-fired event) only once', async () => {
  const { simulator: sim, sink } = sb;
  const repo = [...sim.model.repositories.values()][1]!.slug;
  sink.clear();
  const before = sb.fired.length;
  sim.actions.openPullRequest({ repository: repo });
  await sb.settle();
  const events = sb.fired.slice(before);
  const received = sink.received();
  for (const event of events) await sb.host.fireEvent(event as never);
  await sb.settle();
  expect(sink.received()).toBe(received);
  expect(sink.deliveries()).toHaveLength(events.length);
});
