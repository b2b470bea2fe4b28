import type { Delivery } from '../../src/sandbox/pandev-sink';
import type { ForgeEvent } from '../../src/sandbox/cloud-sim';
import { reconcileNow, manualEvents, testSandbox, type TestSandbox } from './helpers';

// An approval whose Forge event names the reviewer by uuid only is staged under the uuid when its pull
// request cannot be read before staging (refused for good, or its tries used up); the reconciliation
// names the same approval by account id. Whichever of the two comes first, PanDev gets it once.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, simulator: { seed: 'delivery-ids-uuid', repositories: 1, rateLimitPerHour: 0 } });
  await reconcileNow(sb);
});
afterAll(() => sb.stop());

const { act, fire } = manualEvents(() => sb);

const byUuidOnly = (events: ForgeEvent[]) =>
  events.map((event: any) => ({ ...event, reviewers: { ...event.reviewers, value: event.reviewers.value.map((r: any) => ({ ...r, user: { type: r.user.type, uuid: r.user.uuid } })) } }));

const reviews = (pullRequestId: number): Delivery[] =>
  sb.sink.deliveries().filter((d) => d.eventKey.endsWith('approved') && (d.body as any).pullrequest?.id === pullRequestId);

// The read before staging fails: refused for good once, or failing all of its tries (the app's default: 8).
// The body's own read after staging succeeds.
const unreadable = {
  'refused for good (403)': { status: 403, times: 1 },
  'failing until its tries are used up (503)': { status: 503, times: 8 },
} as const;
const cases = Object.entries(unreadable);

async function fireUnreadable(events: ForgeEvent[], pullRequestId: number, fault: { status: number; times: number }): Promise<void> {
  const faulted = sb.simulator.stats().faulted;
  sb.simulator.faults.add({ path: `/pullrequests/${pullRequestId}$`, ...fault });
  await fire(byUuidOnly(events));
  expect(sb.simulator.stats().faulted).toBe(faulted + fault.times);
}

describe('an approval named by uuid only, its pull request unreadable before staging', () => {
  it.each(cases)('%s, then found by the reconciliation, reaches PanDev once', async (_, fault) => {
    const repository = [...sb.simulator.model.repositories.values()][0]!.slug;
    const a = sb.simulator.actions;
    const { pullRequestId } = a.openPullRequest({ repository, title: `Approved by uuid, then reconciled: ${fault.status}` });
    await reconcileNow(sb);
    await fireUnreadable(act(() => a.approvePullRequest({ repository, pullRequestId })), pullRequestId, fault);
    expect(reviews(pullRequestId).map((d) => d.headers['x-pandev-origin'])).toEqual(['trigger']);

    await reconcileNow(sb);
    expect(reviews(pullRequestId)).toHaveLength(1);
  });

  it.each(cases)('%s, its event late after the reconciliation found it, reaches PanDev once', async (_, fault) => {
    const repository = [...sb.simulator.model.repositories.values()][0]!.slug;
    const a = sb.simulator.actions;
    const { pullRequestId } = a.openPullRequest({ repository, title: `Reconciled, then its late event by uuid: ${fault.status}` });
    const late = act(() => a.approvePullRequest({ repository, pullRequestId }));
    await reconcileNow(sb);
    expect(reviews(pullRequestId).map((d) => d.headers['x-pandev-origin'])).toEqual(['reconcile']);

    await fireUnreadable(late, pullRequestId, fault);
    expect(reviews(pullRequestId)).toHaveLength(1);
  });

  it('refused, fired again after its first firing was named by account id, reaches PanDev once', async () => {
    const repository = [...sb.simulator.model.repositories.values()][0]!.slug;
    const a = sb.simulator.actions;
    const { pullRequestId } = a.openPullRequest({ repository, title: 'Approved, its event fired twice' });
    await reconcileNow(sb);
    const approved = act(() => a.approvePullRequest({ repository, pullRequestId }));
    await fire(approved);
    await fireUnreadable(approved, pullRequestId, unreadable['refused for good (403)']);
    expect(reviews(pullRequestId).map((d) => d.headers['x-pandev-origin'])).toEqual(['trigger']);
  });
});

describe('an unapproval named by uuid only, its pull request refused before staging', () => {
  it('of an approval the reconciliation found is sent, not dropped as a status never seen', async () => {
    const repository = [...sb.simulator.model.repositories.values()][0]!.slug;
    const a = sb.simulator.actions;
    const { pullRequestId } = a.openPullRequest({ repository, title: 'Reconciled approval, unapproved by uuid' });
    const { reviewer } = a.approvePullRequest({ repository, pullRequestId });
    await reconcileNow(sb);
    await fireUnreadable(act(() => a.unapprovePullRequest({ repository, pullRequestId, reviewer })), pullRequestId, unreadable['refused for good (403)']);
    expect(reviews(pullRequestId).map((d) => d.eventKey)).toEqual(['pullrequest:approved', 'pullrequest:unapproved']);
  });
});
