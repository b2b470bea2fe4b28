import type { Delivery } from '../../src/sandbox/pandev-sink';
import { reconcileNow, manualEvents, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// X-Request-UUID is PanDev's deduplication key: two different Bitbucket changes must never share one,
// and the same change must keep it whichever source finds it. Driven through the simulator, the real
// app on the local Forge host and the receiver; ids are compared at the receiver.

let sb: TestSandbox;
// The test fires the Forge events itself, so it can lose one or fire one twice. A 429 it injects holds
// the app's Bitbucket reads back only a moment, so the reconciliation after it runs.
beforeAll(async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS, rateLimitBackoffSeconds: 0.01 }, simulator: { seed: 'delivery-ids', repositories: 2, rateLimitPerHour: 0 } });
  await reconcileNow(sb);
});
afterAll(() => sb.stop());

const { act, fire } = manualEvents(() => sb);

const tagPushes = (name: string): Delivery[] =>
  sb.sink.deliveries().filter((d) => {
    const change = d.eventKey === 'repo:push' ? (d.body as any).push.changes[0] : undefined;
    return change && (change.old ?? change.new).type === 'tag' && (change.old ?? change.new).name === name;
  });

const shape = (d: Delivery) => {
  const change = (d.body as any).push.changes[0];
  return `${change.old?.target.hash ?? 'null'}..${change.new?.target.hash ?? 'null'}`;
};

describe('a tag deleted and re-created at the same commit', () => {
  it('is three pushes with three ids, and a re-fired event or the reconciliation adds none', async () => {
    const repos = [...sb.simulator.model.repositories.values()];
    const repository = repos[0]!.slug;
    const a = sb.simulator.actions;
    const { commits } = a.pushCommits({ repository, commits: 1 });
    await sb.settle();
    const target = commits[0]!;
    await fire(act(() => a.createTag({ repository, name: 'release', target })));
    await fire(act(() => a.deleteTag({ repository, name: 'release' })));
    const recreated = act(() => a.createTag({ repository, name: 'release', target }));
    await fire(recreated);

    const pushes = tagPushes('release');
    expect(pushes.map(shape)).toEqual([`null..${target}`, `${target}..null`, `null..${target}`]);
    expect(new Set(pushes.map((d) => d.id)).size).toBe(3);

    // Forge delivers the re-creation again, and the reconciliation reads the refs: nothing new.
    await fire(recreated);
    await reconcileNow(sb);
    expect(tagPushes('release')).toHaveLength(3);
    expect(sb.sink.duplicates()).toBe(0);
  });

  it('is found by the reconciliation when its event was lost', async () => {
    const repository = [...sb.simulator.model.repositories.values()][1]!.slug;
    const a = sb.simulator.actions;
    const { commits } = a.pushCommits({ repository, commits: 1 });
    await sb.settle();
    const target = commits[0]!;
    await fire(act(() => a.createTag({ repository, name: 'lost', target })));
    await fire(act(() => a.deleteTag({ repository, name: 'lost' })));
    act(() => a.createTag({ repository, name: 'lost', target }));
    await reconcileNow(sb);

    const pushes = tagPushes('lost');
    expect(pushes.map(shape)).toEqual([`null..${target}`, `${target}..null`, `null..${target}`]);
    expect(pushes.map((d) => d.headers['x-pandev-origin'])).toEqual(['trigger', 'trigger', 'reconcile']);
    expect(new Set(pushes.map((d) => d.id)).size).toBe(3);
  });
});

describe('a build status', () => {
  const statuses = (key: string): Delivery[] => sb.sink.deliveries().filter((d) => d.eventKey.startsWith('repo:commit_status_') && (d.body as any).commit_status.key === key);

  it('created once is one created event, whether its live event came or the reconciliation found it', async () => {
    const repository = [...sb.simulator.model.repositories.values()][0]!.slug;
    const a = sb.simulator.actions;
    // The push is the reconciliation's to find (its event is not fired): it reads the new tip's statuses.
    const commit = a.pushCommits({ repository, commits: 1 }).commits[0]!;
    await fire(act(() => a.setBuildStatus({ repository, commit, key: 'ci-live', state: 'INPROGRESS' })));
    act(() => a.setBuildStatus({ repository, commit, key: 'ci-lost', state: 'INPROGRESS' }));
    await reconcileNow(sb);

    expect(statuses('ci-live').map((d) => `${d.eventKey} ${d.headers['x-pandev-origin']}`)).toEqual(['repo:commit_status_created trigger']);
    expect(statuses('ci-lost').map((d) => `${d.eventKey} ${d.headers['x-pandev-origin']}`)).toEqual(['repo:commit_status_created reconcile']);
  });
});

/** Reviewer events naming the reviewer one way only: Forge documents the uuid and the account id as optional (notes/forge.md §1b); the activity log has both. */
const naming = (events: ReturnType<typeof act>, keep: 'accountId' | 'uuid') =>
  events.map((event: any) => ({ ...event, reviewers: { ...event.reviewers, value: event.reviewers.value.map((r: any) => ({ ...r, user: { type: r.user.type, [keep]: r.user[keep] } })) } }));

describe('an approval', () => {
  const approvals = (repository: string, pullRequestId: number): Delivery[] =>
    sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:approved' && (d.body as any).repository.name === repository && (d.body as any).pullrequest.id === pullRequestId);

  it.each([
    ['by account id only', 'accountId'],
    ['by uuid only, as reviewers were named in delivery ids before', 'uuid'],
  ] as const)('whose live event names the reviewer %s reaches PanDev once, though the reconciliation finds it too', async (_, keep) => {
    const repository = [...sb.simulator.model.repositories.values()][1]!.slug;
    const a = sb.simulator.actions;
    const { pullRequestId } = a.openPullRequest({ repository, title: `Reviewed, named by ${keep}` });
    await reconcileNow(sb);
    await fire(naming(act(() => a.approvePullRequest({ repository, pullRequestId })), keep));
    expect(approvals(repository, pullRequestId).map((d) => d.headers['x-pandev-origin'])).toEqual(['trigger']);

    await reconcileNow(sb);
    expect(approvals(repository, pullRequestId)).toHaveLength(1);
    expect(sb.sink.duplicates()).toBe(0);
  });

  // The uuid-only event is named by account id from the pull request the consumer reads to build the body.
  it.each([
    ['without the uuid', 'accountId'],
    ['without the account id', 'uuid'],
  ] as const)('found first by the reconciliation is not sent again by its late live event %s', async (_, keep) => {
    const repository = [...sb.simulator.model.repositories.values()][0]!.slug;
    const a = sb.simulator.actions;
    const { pullRequestId } = a.openPullRequest({ repository, title: `Reviewed, its event late, named by ${keep}` });
    const late = naming(act(() => a.approvePullRequest({ repository, pullRequestId })), keep);
    await reconcileNow(sb);
    expect(approvals(repository, pullRequestId).map((d) => d.headers['x-pandev-origin'])).toEqual(['reconcile']);

    await fire(late);
    expect(approvals(repository, pullRequestId)).toHaveLength(1);
  });
});

// Named by uuid for want of the pull request's read, an approval reached PanDev twice: the reconciliation
// names it by account id. A read that may succeed later is tried again before anything is staged.
describe('an approval named by uuid only, its pull request unreadable before staging', () => {
  const approvals = (repository: string, pullRequestId: number): Delivery[] =>
    sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:approved' && (d.body as any).repository.name === repository && (d.body as any).pullrequest.id === pullRequestId);
  const reviewerEntity = (d: Delivery): string => (d.body as any).pandev.entity;

  it.each([
    ['answering 500', { status: 500 }],
    ['answering 429', { status: 429 }],
    ['dropping the connection', { drop: true }],
  ] as const)('for a while (%s) reaches PanDev once, named by account id, and the reconciliation finds nothing new', async (_, fault) => {
    const repository = [...sb.simulator.model.repositories.values()][0]!.slug;
    const a = sb.simulator.actions;
    const { pullRequestId } = a.openPullRequest({ repository, title: `Approved while its read fails: ${JSON.stringify(fault)}` });
    await reconcileNow(sb);
    const approved = act(() => a.approvePullRequest({ repository, pullRequestId }));
    const accountId: string = (approved[0] as any).reviewers.value[0].user.accountId;
    const faulted = sb.simulator.stats().faulted;
    sb.simulator.faults.add({ path: `/pullrequests/${pullRequestId}$`, ...fault, times: 2 });
    await fire(naming(approved, 'uuid'));
    expect(sb.simulator.stats().faulted).toBe(faulted + 2);
    expect(approvals(repository, pullRequestId).map((d) => d.headers['x-pandev-origin'])).toEqual(['trigger']);
    expect(reviewerEntity(approvals(repository, pullRequestId)[0]!)).toMatch(new RegExp(`:reviewer:${accountId}$`, 'i'));

    await reconcileNow(sb);
    expect(approvals(repository, pullRequestId)).toHaveLength(1);
    expect(sb.sink.duplicates()).toBe(0);
  });

  it.each([
    ['answering 500', { status: 500 }],
    ['answering 429', { status: 429 }],
    ['dropping the connection', { drop: true }],
  ] as const)('for a while (%s), found first by the reconciliation, is not sent again by its late live event', async (_, fault) => {
    const repository = [...sb.simulator.model.repositories.values()][1]!.slug;
    const a = sb.simulator.actions;
    const { pullRequestId } = a.openPullRequest({ repository, title: `Approved, its event late and its read failing: ${JSON.stringify(fault)}` });
    const late = naming(act(() => a.approvePullRequest({ repository, pullRequestId })), 'uuid');
    await reconcileNow(sb);
    expect(approvals(repository, pullRequestId).map((d) => d.headers['x-pandev-origin'])).toEqual(['reconcile']);

    const faulted = sb.simulator.stats().faulted;
    sb.simulator.faults.add({ path: `/pullrequests/${pullRequestId}$`, ...fault, times: 2 });
    await fire(late);
    expect(sb.simulator.stats().faulted).toBe(faulted + 2);
    expect(approvals(repository, pullRequestId)).toHaveLength(1);
  });

  it('for good (403) still reaches PanDev, named by uuid, with the reason logged', async () => {
    const repository = [...sb.simulator.model.repositories.values()][1]!.slug;
    const a = sb.simulator.actions;
    const { pullRequestId } = a.openPullRequest({ repository, title: 'Approved, its read refused' });
    const approved = act(() => a.approvePullRequest({ repository, pullRequestId }));
    const uuid: string = (approved[0] as any).reviewers.value[0].user.uuid;
    const logged = sb.logs.length;
    // Refused once: the read before staging; the body's own read then succeeds.
    sb.simulator.faults.add({ path: `/pullrequests/${pullRequestId}$`, status: 403, times: 1 });
    await fire(naming(approved, 'uuid'));
    expect(approvals(repository, pullRequestId).map(reviewerEntity)).toEqual([expect.stringMatching(new RegExp(`:reviewer:${uuid.replace(/[{}]/g, '\\$&')}$`, 'i'))]);
    const warnings = sb.logs.slice(logged).filter((line) => line.level === 'warn' && /staged as the event gave it/.test(line.message));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/403.*refused the read for good/);
  });

  it('after its tries are used up still reaches PanDev, named by uuid, with the reason logged', async () => {
    const repository = [...sb.simulator.model.repositories.values()][1]!.slug;
    const a = sb.simulator.actions;
    const { pullRequestId } = a.openPullRequest({ repository, title: 'Approved, its read failing and failing' });
    const approved = act(() => a.approvePullRequest({ repository, pullRequestId }));
    const uuid: string = (approved[0] as any).reviewers.value[0].user.uuid;
    const logged = sb.logs.length;
    const faulted = sb.simulator.stats().faulted;
    // Failing every try before staging (the app's default: 8), then answering the body's read.
    sb.simulator.faults.add({ path: `/pullrequests/${pullRequestId}$`, status: 503, times: 8 });
    await fire(naming(approved, 'uuid'));
    expect(sb.simulator.stats().faulted).toBe(faulted + 8);
    expect(approvals(repository, pullRequestId).map(reviewerEntity)).toEqual([expect.stringMatching(new RegExp(`:reviewer:${uuid.replace(/[{}]/g, '\\$&')}$`, 'i'))]);
    const warnings = sb.logs.slice(logged).filter((line) => line.level === 'warn' && /staged as the event gave it/.test(line.message));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/503.*tries are used up/);
  });
});

it('naming a uuid-only reviewer costs no Bitbucket request: the pull request read is the body\'s', async () => {
  const repository = [...sb.simulator.model.repositories.values()][1]!.slug;
  const a = sb.simulator.actions;
  const requests = async (keep: 'accountId' | 'uuid') => {
    const { pullRequestId } = a.openPullRequest({ repository, title: `Approved, its cost counted, named by ${keep}` });
    const approved = naming(act(() => a.approvePullRequest({ repository, pullRequestId })), keep);
    sb.simulator.resetStats();
    await fire(approved);
    return sb.simulator.stats().byRoute;
  };
  await requests('accountId'); // the repository read once, then cached
  const byUuid = await requests('uuid');
  expect(byUuid).toEqual(await requests('accountId'));
  expect(byUuid['GET /repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}']).toBe(1);
});

describe('an unapproval', () => {
  it('of an approval whose status was kept under the reviewer\'s uuid, as before, is still told from a cleared change request', async () => {
    const repository = [...sb.simulator.model.repositories.values()][1]!.slug;
    const a = sb.simulator.actions;
    const { pullRequestId } = a.openPullRequest({ repository, title: 'Approved, then not' });
    const approved = act(() => a.approvePullRequest({ repository, pullRequestId }));
    // Its account id unread (Bitbucket refusing the read before staging), the approval is staged and
    // kept under the uuid, as before the switch, and still delivered.
    const faulted = sb.simulator.stats().faulted;
    sb.simulator.faults.add({ path: `/pullrequests/${pullRequestId}$`, status: 403, times: 1 });
    await fire(naming(approved, 'uuid'));
    expect(sb.simulator.stats().faulted).toBe(faulted + 1);
    const reviewer = (approved[0] as any).reviewers.value[0].user.uuid;
    await fire(act(() => a.unapprovePullRequest({ repository, pullRequestId, reviewer })));
    const keys = sb.sink.deliveries().filter((d) => (d.body as any).repository?.name === repository && (d.body as any).pullrequest?.id === pullRequestId).map((d) => d.eventKey);
    expect(keys.filter((key) => key.endsWith('approved'))).toEqual(['pullrequest:approved', 'pullrequest:unapproved']);
  });

  const reviewKeys = (repository: string, pullRequestId: number) =>
    sb.sink.deliveries().filter((d) => (d.body as any).repository?.name === repository && (d.body as any).pullrequest?.id === pullRequestId && d.eventKey.endsWith('approved')).map((d) => d.eventKey);

  it.each([
    ['by uuid only', 'by account id only', 'uuid', 'accountId'],
    ['by account id only', 'by uuid only', 'accountId', 'uuid'],
  ] as const)('of an approval named %s, itself named %s, is sent: both statuses are kept under one name', async (_, __, approvedAs, unapprovedAs) => {
    const repository = [...sb.simulator.model.repositories.values()][0]!.slug;
    const a = sb.simulator.actions;
    const { pullRequestId } = a.openPullRequest({ repository, title: `Approved by ${approvedAs}, unapproved by ${unapprovedAs}` });
    const approved = act(() => a.approvePullRequest({ repository, pullRequestId }));
    await fire(naming(approved, approvedAs));
    const reviewer = (approved[0] as any).reviewers.value[0].user.uuid;
    await fire(naming(act(() => a.unapprovePullRequest({ repository, pullRequestId, reviewer })), unapprovedAs));
    expect(reviewKeys(repository, pullRequestId)).toEqual(['pullrequest:approved', 'pullrequest:unapproved']);
  });

  it('by uuid only, of an approval the reconciliation found, is sent', async () => {
    const repository = [...sb.simulator.model.repositories.values()][1]!.slug;
    const a = sb.simulator.actions;
    const { pullRequestId } = a.openPullRequest({ repository, title: 'Approved, found by the reconciliation, then not' });
    const { reviewer } = a.approvePullRequest({ repository, pullRequestId });
    await reconcileNow(sb);
    await fire(naming(act(() => a.unapprovePullRequest({ repository, pullRequestId, reviewer })), 'uuid'));
    expect(reviewKeys(repository, pullRequestId)).toEqual(['pullrequest:approved', 'pullrequest:unapproved']);
  });
});
