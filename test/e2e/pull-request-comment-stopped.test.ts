import { factsStore } from '../../src/core/metrics/store';
import { hostStores } from '../../src/sandbox/host-store';
import { manualEvents, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// A merge's comment is owed from the moment PanDev takes the merge. Once the ledger holds the delivery
// no retry delivers it again, so a consumer that ends (stopped at its limit, a storage call refused)
// between the ledger and the comment's queueing must not lose the comment: the comment is handed over
// first. Ended between the hand-over and the ledger, the delivery is made again and its comment job
// queued twice: the comment is still posted once.

let sb: TestSandbox;
beforeEach(async () => (sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, simulator: { seed: 'pull-request-comment-stopped', repositories: 1, rateLimitPerHour: 0 }, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS } })));
afterEach(() => sb.stop());

const { act, fire } = manualEvents(() => sb);
const repository = () => [...sb.simulator.model.repositories.values()][0]!;
const ours = (pullRequestId: number) => repository().pullRequests.get(pullRequestId)!.comments.filter((c) => !c.deleted && c.userUuid === sb.simulator.model.app.uuid);
const posts = () => sb.simulator.stats().byRoute['POST /repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments'] ?? 0;
const mergeTaken = () => sb.sink.deliveries().some((d) => d.eventKey === 'pullrequest:fulfilled');

/** Opens a pull request and merges it; `beforeMerge` arms a fault once the opening is delivered. */
async function openAndMerge(beforeMerge: () => void): Promise<number> {
  const a = sb.simulator.actions;
  const repo = repository();
  await fire(act(() => a.openPullRequest({ repository: repo.slug, title: 'Add request tracing', commits: 2 })));
  const id = repo.pullRequests.size;
  const merged = act(() => a.mergePullRequest({ repository: repo.slug, pullRequestId: id }));
  beforeMerge();
  await fire(merged);
  return id;
}

it('posts the merge\'s comment when the first storage call after PanDev took the merge is refused', async () => {
  // The settings read that decides which comments to queue: the consumer's last step before this fix,
  // after the ledger had the delivery. Refused, the invocation ended there, as a stopped one does.
  const id = await openAndMerge(() => sb.host.throttleStorage((key) => key === 'config:preferences' && mergeTaken(), 1));
  expect(await factsStore(hostStores(sb.host).store).pullRequest(repository().uuid, id)).toMatchObject({ state: 'MERGED', mergedOn: expect.any(String) });
  expect(ours(id)).toHaveLength(1);
  expect(posts()).toBe(1);
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
  expect(sb.host.kvs.keys('inbox:')).toEqual([]);
}, 60_000);

it('posts the merge\'s comment once when the ledger could not record the delivery after the comment was queued', async () => {
  const id = await openAndMerge(() => sb.host.throttleStorage((key) => key.startsWith('delivered:') && mergeTaken(), 1));
  // Delivered again (the refusal did happen), under the same id: PanDev deduplicates it.
  expect(sb.sink.duplicates()).toBe(1);
  expect(new Set(sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:fulfilled').map((d) => d.id)).size).toBe(1);
  expect(ours(id)).toHaveLength(1);
  expect(posts()).toBe(1);
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
}, 60_000);

it('keeps the merge\'s facts and posts its comment when storage refused recording them after PanDev took the merge', async () => {
  // The read of the pull request's facts, the first step of recording what PanDev was sent. Swallowed,
  // the ledger had the delivery with no facts (state OPEN, no merge time) and no comment owed.
  const id = await openAndMerge(() => sb.host.throttleStorage((key) => key.startsWith('metrics:pr:') && mergeTaken(), 1));
  // Delivered again under the same id, so the facts are recorded on the retry: PanDev deduplicates it.
  expect(sb.sink.duplicates()).toBe(1);
  expect(await factsStore(hostStores(sb.host).store).pullRequest(repository().uuid, id)).toMatchObject({ state: 'MERGED', mergedOn: expect.any(String) });
  expect(ours(id)).toHaveLength(1);
  expect(posts()).toBe(1);
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
}, 60_000);
