import { backfillRecords, backfillSandbox } from './backfill-sandbox';
import { testSandbox, type TestSandbox } from './helpers';
import { data, loadAll, settingsCaller } from './settings-helpers';

// Forge's async-event size limits (developer.atlassian.com/platform/forge/limits-async-events): 200 KB
// per push request, 100 KB per event for a consumer with a timeout over 55 s (ours has 120 s), 4 KB of
// retryData. The local host refuses past them as Forge does; these are the app's largest inputs, and
// the host's record of the largest push, event and retryData the app made shows how far inside it stays.

const KB = 1024;
let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterEach(() => sb.stop());

const refusedForSize = () => sb.logs.filter((line) => /over Forge's 100 KB|maximum payload size|retryData holds/.test(line.message)).map((line) => line.message);

it('hands a backfill piece’s deliveries back, a whole message of outbox ids, inside 4 KB of retryData', async () => {
  // The consumer's limit scaled to a fifth (24 s) and PanDev holding every request past the 5 s attempt
  // timeout: after one attempt the consumer has no time for another, and hands the other 49 ids of its
  // message back in one retry, the largest retryData the app makes.
  sb = await backfillSandbox({ seed: 'sizes', repositories: 1, pullRequestsPerRepository: 40 }, {}, { functionTimeoutScale: 0.2 });
  sb.sink.setFaults({ share: 1, kinds: ['timeout'], holdMs: 6000 });
  data(await call('connection/activate', {}));
  // Polled: no event says a retry was asked for.
  while (sb.host.queueStats().largest.retryDataBytes < 45 * 36) await new Promise((resolve) => setTimeout(resolve, 20));
  sb.sink.setFaults(null);
  await sb.settle();

  expect((await backfillRecords(sb)).map((r) => r.state)).toEqual(['done']);
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
  expect(sb.host.kvs.keys('dead:')).toEqual([]);
  expect(refusedForSize()).toEqual([]);
  const { largest } = sb.host.queueStats();
  expect(largest.retryDataBytes).toBeLessThan(2.5 * KB);
  expect(largest.eventBytes).toBeLessThan(10 * KB);
}, 180_000);

it('queues the backfill and the reconciliation of a 3,000-repository workspace in events far under 100 KB', async () => {
  sb = await backfillSandbox({ seed: 'sizes-large', repositories: 3000, pullRequestsPerRepository: 0, historyDays: 1 }, { requestsPerHour: 100_000 });
  // The admin has the list on the page before activating: Activate finds it read.
  await loadAll(call, { limit: 100 });
  data(await call('connection/activate', {}));
  // The tick plans a reconciliation of every repository (150 batches) and starts backfill chains; the
  // backfill records past the first 500 are written by the ticks, 1,000 each (backfill/pending.ts).
  for (let tick = 0; tick < 3; tick++) await sb.host.runScheduled('five-minute-tick');
  expect((await backfillRecords(sb)).length).toBe(3000);
  const stats = sb.host.queueStats();
  expect(stats.pushed).toBeGreaterThanOrEqual(150);
  expect(refusedForSize()).toEqual([]);
  expect(stats.largest.pushBytes).toBeLessThan(200 * KB);
  expect(stats.largest.eventBytes).toBeLessThan(10 * KB);
}, 180_000);

it('queues a live pull request with a 150 KB description and a push of 150 commits in events of a few KB', async () => {
  sb = await testSandbox({ scheduledTriggers: false, simulator: { seed: 'sizes-live', repositories: 1, pullRequestsPerRepository: 0 } });
  const { simulator: sim } = sb;
  const repository = [...sim.model.repositories.values()][0]!.slug;
  const { pullRequestId, sourceBranch } = sim.actions.openPullRequest({ repository, title: 'T'.repeat(1000), description: 'D'.repeat(150 * KB) });
  for (let i = 0; i < 3; i++) sim.actions.pushCommits({ repository, branch: sourceBranch, commits: 50 });
  sim.actions.mergePullRequest({ repository, pullRequestId });
  await sb.settle();
  expect(sb.sink.deliveries().map((d) => d.eventKey)).toEqual(expect.arrayContaining(['pullrequest:created', 'repo:push', 'pullrequest:fulfilled']));
  expect(refusedForSize()).toEqual([]);
  expect(sb.host.queueStats().largest.eventBytes).toBeLessThan(10 * KB);
}, 120_000);

it('retries a reviewer event of 150 reviewers inside 4 KB of retryData, each approval delivered once', async () => {
  // As above: PanDev holding every request past the attempt timeout, and the consumer's limit a fifth,
  // so after its first attempts the consumer hands the rest of the event's deliveries back at once.
  sb = await testSandbox({ scheduledTriggers: false, liveEvents: false, functionTimeoutScale: 0.2, simulator: { seed: 'sizes-reviewers', repositories: 1, pullRequestsPerRepository: 0 } });
  const { simulator: sim } = sb;
  const repository = [...sim.model.repositories.values()][0]!;
  const { pullRequestId } = sim.actions.openPullRequest({ repository: repository.slug, title: 'Many reviewers' });
  // Forge lists every reviewer whose status the event reports: 150 approvals, one delivery each, in one message.
  const at = new Date().toISOString();
  const reviewers = Array.from({ length: 150 }, (_, i) => ({ user: { type: 'user', uuid: `{00000000-0000-4000-8000-${String(i).padStart(12, '0')}}` }, status: 'approved', timestamp: at }));
  sb.sink.setFaults({ share: 1, kinds: ['timeout'], holdMs: 6000 });
  await sb.host.fireEvent({
    eventType: 'avi:bitbucket:updated:pullrequest-reviewer-status',
    workspace: { uuid: sim.workspace.uuid }, repository: { uuid: repository.uuid }, pullrequest: { id: pullRequestId }, reviewers: { value: reviewers },
  });
  // Polled: no event says a retry was asked for.
  while (sb.host.queueStats().largest.retryDataBytes < 50 * 36) await new Promise((resolve) => setTimeout(resolve, 20));
  sb.sink.setFaults(null);
  await sb.settle();

  expect(refusedForSize()).toEqual([]);
  expect(sb.host.queueStats().largest.retryDataBytes).toBeLessThan(4 * KB);
  expect(sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:approved')).toHaveLength(150);
  expect(sb.sink.duplicates()).toBe(0);
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
}, 120_000);
