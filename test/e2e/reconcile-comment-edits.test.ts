import { manualEvents, reconcileNow, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// The activity log lists a comment where it was made, showing its edits and its deletion through: a
// comment made before the watermark and edited or deleted after it sits below the watermark. With the
// product event lost (liveEvents off), only the reconciliation can deliver the edit or the deletion.

let sb: TestSandbox;
let pullRequestId: number;
let comments: number[];
beforeAll(async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'comment-edits', repositories: 1, rateLimitPerHour: 0 } });
  const repository = slug();
  // Made half an hour ago: Bitbucket reports an edit only ten minutes or more after the last change.
  sb.setClock(Date.now() - 30 * 60_000);
  ({ pullRequestId } = sb.simulator.actions.openPullRequest({ repository }));
  comments = [1, 2].map(() => sb.simulator.actions.addComment({ repository, pullRequestId }).commentId);
  sb.setClock(Date.now());
  // Sets the watermark, after the comments were made.
  await reconcileNow(sb);
});
afterAll(() => sb.stop());

const slug = () => [...sb.simulator.model.repositories.values()][0]!.slug;
const commentEvents = () =>
  sb.sink
    .deliveries()
    .filter((d) => d.eventKey.startsWith('pullrequest:comment_'))
    .map((d) => `${d.eventKey} ${(d.body as { comment: { id: number } }).comment.id}`);

it('delivers the edit and the deletion of comments made before the watermark, once', async () => {
  const [edited, deleted] = comments;
  sb.sink.clear();
  sb.simulator.actions.editComment({ repository: slug(), pullRequestId, commentId: edited!, content: 'edited after the watermark' });
  sb.simulator.actions.deleteComment({ repository: slug(), pullRequestId, commentId: deleted! });
  await reconcileNow(sb);
  await reconcileNow(sb);
  expect(commentEvents().sort()).toEqual([`pullrequest:comment_deleted ${deleted}`, `pullrequest:comment_updated ${edited}`]);
  expect(sb.sink.duplicates()).toBe(0);
}, 60_000);

it('names an edit delivered live as the reconciliation names it, though Forge emitted the event after the edit', async () => {
  // Forge's `timestamp` is when it emitted the event (notes/forge.md §1b: a build status's
  // `updatedOn` …17.1057 against `timestamp` …17.1379); the activity log dates the edit itself.
  const events = manualEvents(() => sb);
  const [edited] = comments;
  sb.advance(11 * 60_000);
  const fired = events.act(() => sb.simulator.actions.editComment({ repository: slug(), pullRequestId, commentId: edited!, content: 'edited live' }));
  expect(fired.map((event) => event.eventType)).toEqual(['avi:bitbucket:updated:pullrequest-comment']);
  const emitted = fired.map((event) => ({ ...event, timestamp: new Date(Date.parse(event.timestamp) + 68).toISOString() }));
  sb.sink.clear();
  await events.fire(emitted);
  expect(commentEvents()).toEqual([`pullrequest:comment_updated ${edited}`]);
  // The pass finds the edit again, under the same id: the app's ledger knows it went.
  await reconcileNow(sb);
  expect(commentEvents()).toEqual([`pullrequest:comment_updated ${edited}`]);
  expect(sb.sink.duplicates()).toBe(0);
}, 60_000);
