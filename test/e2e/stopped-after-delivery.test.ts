import { factsStore } from '../../src/core/metrics/store';
import { hostStores } from '../../src/sandbox/host-store';
import { manualEvents, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// A delivery's ending is written in steps: the facts the metrics keep, the pull request comment a merge
// asks for (queued after the batch), the ledger, then the outbox letting go of the entry. Once the
// ledger holds the delivery nothing redoes it, so what comes before must be done by then, and a step
// after it (the outbox's) that fails must lose nothing.

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS, sweepGraceSeconds: 0 }, simulator: { seed: 'stopped-after-delivery', repositories: 1, rateLimitPerHour: 0 } })));
afterAll(() => sb.stop());

const { act, fire } = manualEvents(() => sb);
const repository = () => [...sb.simulator.model.repositories.values()][0]!;
const ours = (pullRequestId: number) => repository().pullRequests.get(pullRequestId)!.comments.filter((c) => !c.deleted && c.userUuid === sb.simulator.model.app.uuid);

it('keeps a merge\'s facts and posts its comment when the outbox could not let go of the delivered entry', async () => {
  const a = sb.simulator.actions;
  const repo = repository();
  const opened = act(() => a.openPullRequest({ repository: repo.slug, title: 'Add request tracing', commits: 2 }));
  await fire(opened);
  const id = repo.pullRequests.size;
  const merged = act(() => a.mergePullRequest({ repository: repo.slug, pullRequestId: id }));
  // Storage refuses the first call on a delivered entry once PanDev took it (the ledger holds it):
  // the outbox's letting go of the merge's delivery.
  sb.host.throttleStorage((key) => key.startsWith('outbox:') && sb.host.kvs.keys(`delivered:${key.slice('outbox:'.length)}`).length > 0, 1);
  await fire(merged.filter((e) => e.eventType === 'avi:bitbucket:fulfilled:pullrequest'));
  await fire(merged.filter((e) => e.eventType !== 'avi:bitbucket:fulfilled:pullrequest'));
  // The entry left behind is the sweep's to let go of: the ledger tells it PanDev has it.
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();

  expect(sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:fulfilled')).toHaveLength(1);
  expect(sb.sink.duplicates()).toBe(0);
  expect(await factsStore(hostStores(sb.host).store).pullRequest(repo.uuid, id)).toMatchObject({ state: 'MERGED', mergedOn: expect.any(String) });
  expect(ours(id)).toHaveLength(1);
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
}, 60_000);
