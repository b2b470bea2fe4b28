import { settingsStore } from '../../src/core/config/settings';
import { hostStores } from '../../src/sandbox/host-store';
import { manualEvents, testSandbox, type TestSandbox } from './helpers';

// On Forge every storage read is an HTTP call, metered and rate-limited per installation. The live
// path reads what it needs once per invocation: the local Forge host counts a read of a key the same
// invocation had read or written already.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, simulator: { seed: 'live-storage-reads', repositories: 1, rateLimitPerHour: 0 } });
  // The forwarding path alone: the DORA comment and the size read for the card are jobs of their own.
  const stores = hostStores(sb.host);
  await settingsStore(stores.store, stores.secrets).savePreferences({ prComments: false, commitStats: 'off' });
});
afterAll(() => sb.stop());

const { act, fire } = manualEvents(() => sb);

it('reads no key twice in one invocation through a pull request\'s life, but a ref\'s tip and a reviewer\'s statuses before they are recorded', async () => {
  const repository = [...sb.simulator.model.repositories.values()][0]!.slug;
  const a = sb.simulator.actions;
  sb.host.resetStorageStats();
  // A branch name that is its own key, and one that is not (the facts' older key differs from it).
  for (const sourceBranch of ['ledger-fix', 'feature/Ledger']) {
    const opened = act(() => a.openPullRequest({ repository, sourceBranch, commits: 2 }));
    await fire(opened);
    const pullRequestId = [...sb.simulator.model.repositories.values()][0]!.pullRequests.size;
    await fire(act(() => a.pushToPullRequest({ repository, pullRequestId })));
    await fire(act(() => a.approvePullRequest({ repository, pullRequestId })));
    await fire(act(() => a.addComment({ repository, pullRequestId })));
    await fire(act(() => a.mergePullRequest({ repository, pullRequestId })));
  }
  // A pull request whose pushes Forge never delivered: its merge looks for the first commit in the
  // branch's facts, then starts the branch's next life from them.
  const withoutPushes = (events: ReturnType<typeof act>) => events.filter((e) => e.eventType !== 'avi:bitbucket:push:repository');
  await fire(withoutPushes(act(() => a.openPullRequest({ repository, sourceBranch: 'feature/Unseen' }))));
  const unseen = [...sb.simulator.model.repositories.values()][0]!.pullRequests.size;
  await fire(withoutPushes(act(() => a.mergePullRequest({ repository, pullRequestId: unseen }))));
  const pushes = sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').length;
  expect(pushes).toBeGreaterThan(0);
  expect(sb.sink.deliveries().map((d) => d.eventKey)).toEqual(expect.arrayContaining(['pullrequest:created', 'pullrequest:approved', 'pullrequest:comment_created', 'pullrequest:fulfilled']));
  const approvals = sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:approved').length;
  const { 'ref:': tipReads, 'reviewer:': statusReads, ...others } = sb.host.storageStats().rereads;
  expect(others).toEqual({});
  // Staging reads a push's ref tip and a reviewer's statuses (each under its older key too, while the
  // own one is absent) again just before recording them: another consumer (a live push of the same
  // ref, the reconciliation) may have recorded one meanwhile. Only that: the tip was read three times
  // a push; each approval here is its reviewer's first status, so both its keys were read again.
  expect(statusReads).toBe(2 * approvals);
  expect(tipReads).toBeGreaterThanOrEqual(pushes);
  expect(tipReads).toBeLessThan(2 * pushes);
}, 60_000);
