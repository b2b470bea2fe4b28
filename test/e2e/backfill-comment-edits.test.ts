import { backfillEnded, backfillSandbox } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// The activity log lists a comment where it was made: one made before the backfill's window and
// edited or deleted inside it sits past the window's start, where the backfill stops reading. The
// edit and the deletion happened in the window, and the live events for them were lost.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterAll(() => sb.stop());

const DAY = 86_400_000;

it('delivers the edit and the deletion, in the window, of comments made before it', async () => {
  // The seeded history ends before the comments are made: Bitbucket's times never go back.
  sb = await backfillSandbox({ seed: 'backfill-comment-edits', repositories: 1, baseTime: Date.now() - 41 * DAY }, { backfillDays: 30 });
  const repository = [...sb.simulator.model.repositories.values()][0]!.slug;
  sb.setClock(Date.now() - 40 * DAY);
  const { pullRequestId } = sb.simulator.actions.openPullRequest({ repository });
  const [edited, deleted] = [1, 2].map(() => sb.simulator.actions.addComment({ repository, pullRequestId }).commentId);
  sb.setClock(Date.now() - 5 * DAY);
  sb.simulator.actions.editComment({ repository, pullRequestId, commentId: edited!, content: 'edited in the window' });
  sb.simulator.actions.deleteComment({ repository, pullRequestId, commentId: deleted! });
  sb.setClock(Date.now());

  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const comments = sb.sink.deliveries().filter((d) => d.eventKey.startsWith('pullrequest:comment_') && (d.body as { pullrequest: { id: number } }).pullrequest.id === pullRequestId);
  expect(comments.map((d) => `${d.eventKey} ${(d.body as { comment: { id: number } }).comment.id}`).sort()).toEqual([`pullrequest:comment_deleted ${deleted}`, `pullrequest:comment_updated ${edited}`]);
  expect(sb.sink.duplicates()).toBe(0);
}, 120_000);
