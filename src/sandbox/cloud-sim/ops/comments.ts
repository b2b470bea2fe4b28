// Pull request comments. Comments count toward `comment_count` and make the commenter a participant.
import { SimNotFoundError } from '../../sim-common/errors';
import { forgePullRequest, repositoryScope } from '../events/build';
import type { CommentEvent } from '../events/types';
import type { PullRequest, PullRequestComment, Repository, SimUser } from '../model/types';
import { MINUTE, type Micros } from '../util/time';
import type { Emitted, OpContext } from './context';
import { participate } from './reviews';

/** Forge only reports an edit made ten or more minutes after the comment's previous version. */
const EDIT_EVENT_QUIET_PERIOD = 10 * MINUTE;

function commentEvent(
  ctx: OpContext, repo: Repository, pr: PullRequest, comment: PullRequestComment, actor: SimUser, at: Micros,
  eventType: CommentEvent['eventType'],
): CommentEvent {
  return { eventType, ...repositoryScope(ctx.model, repo, actor, at), pullrequest: forgePullRequest(ctx.model, pr), comment: { id: comment.id } };
}

export function findComment(pr: PullRequest, id: number): PullRequestComment {
  const comment = pr.comments.find((candidate) => candidate.id === id);
  if (!comment) throw new SimNotFoundError(`comment ${id} not found on pull request #${pr.id}`);
  return comment;
}

export interface CommentSpec {
  raw: string;
  parentId?: number;
  inline?: { path: string; to: number | null; from: number | null };
}

export function addComment(
  ctx: OpContext, repo: Repository, pr: PullRequest, user: SimUser, spec: CommentSpec,
): Emitted & { comment: PullRequestComment } {
  if (spec.parentId !== undefined) findComment(pr, spec.parentId);
  const at = ctx.model.stamp(ctx.at);
  const comment: PullRequestComment = {
    id: ctx.model.nextCommentId(), userUuid: user.uuid, raw: spec.raw, createdOn: at, updatedOn: at, deleted: false,
    ...(spec.parentId === undefined ? {} : { parentId: spec.parentId }),
    ...(spec.inline ? { inline: spec.inline } : {}),
  };
  pr.comments.push(comment);
  pr.activity.push({ kind: 'comment', date: at, commentId: comment.id });
  participate(pr, user, at);
  pr.updatedOn = at;
  return { comment, events: [commentEvent(ctx, repo, pr, comment, user, at, 'avi:bitbucket:created:pullrequest-comment')] };
}

export function editComment(ctx: OpContext, repo: Repository, pr: PullRequest, commentId: number, actor: SimUser, raw: string): Emitted {
  const comment = findComment(pr, commentId);
  if (comment.deleted) throw new SimNotFoundError(`comment ${commentId} was deleted`);
  const at = ctx.model.stamp(ctx.at);
  const quiet = at - comment.updatedOn >= EDIT_EVENT_QUIET_PERIOD;
  comment.raw = raw;
  comment.updatedOn = at;
  pr.updatedOn = at;
  return { events: quiet ? [commentEvent(ctx, repo, pr, comment, actor, at, 'avi:bitbucket:updated:pullrequest-comment')] : [] };
}

/** Deleted comments stay in lists (`deleted: true`, empty content), as Bitbucket keeps them. */
export function deleteComment(ctx: OpContext, repo: Repository, pr: PullRequest, commentId: number, actor: SimUser): Emitted {
  const comment = findComment(pr, commentId);
  if (comment.deleted) throw new SimNotFoundError(`comment ${commentId} was deleted`);
  const at = ctx.model.stamp(ctx.at);
  comment.deleted = true;
  comment.raw = '';
  comment.updatedOn = at;
  pr.updatedOn = at;
  return { events: [commentEvent(ctx, repo, pr, comment, actor, at, 'avi:bitbucket:deleted:pullrequest-comment')] };
}
