// Reviews and comments on a pull request. Anyone who reviews or comments without being a reviewer joins
// as a participant, as in Data Center.
import { SimConflictError, SimNotFoundError } from '../../sim-common/errors';
import { pullRequestEvent } from '../events/build';
import type { DcRepository } from '../model/repository';
import type { DcComment, DcUser, Participant, PullRequest, ReviewStatus } from '../model/types';
import { comment as renderComment, participant } from '../render/pull-requests';
import { applyReview, joinAsParticipant } from '../seed/pull-request-plan';
import type { Emitted, OpContext } from '../runtime';
import { record, requireOpen } from './common';

export type ReviewDecision = 'approve' | 'unapprove' | 'needs-work';

const DECISIONS = {
  'approve': { action: 'APPROVED', status: 'APPROVED', eventKey: 'pr:reviewer:approved' },
  'unapprove': { action: 'UNAPPROVED', status: 'UNAPPROVED', eventKey: 'pr:reviewer:unapproved' },
  'needs-work': { action: 'REVIEWED', status: 'NEEDS_WORK', eventKey: 'pr:reviewer:needs_work' },
} as const;

export function review(ctx: OpContext, repo: DcRepository, pr: PullRequest, reviewer: DcUser, decision: ReviewDecision): Emitted {
  requireOpen(pr);
  if (reviewer.id === pr.authorId) throw new SimConflictError('authors cannot review their own pull request');
  const { action, status, eventKey } = DECISIONS[decision];
  const before: ReviewStatus = pr.participants.find((p) => p.userId === reviewer.id)?.status ?? 'UNAPPROVED';
  if (before === status) throw new SimConflictError(`${reviewer.name} is already ${status} on #${pr.id}`);
  const at = ctx.model.stamp(ctx.at);
  record(ctx, pr, reviewer, at, { action });
  applyReview(pr.participants, pr.activities.at(-1) as PullRequest['activities'][number], pr.from.hash);
  const now = pr.participants.find((p) => p.userId === reviewer.id) as Participant;
  return { events: [pullRequestEvent(ctx, eventKey, repo, pr, reviewer, at, { participant: participant(ctx.render, now), previousStatus: before })] };
}

export function findComment(pr: PullRequest, id: number): DcComment {
  const found = pr.comments.find((candidate) => candidate.id === id && !candidate.deleted);
  if (!found) throw new SimNotFoundError(`comment ${id} not found on pull request #${pr.id}`);
  return found;
}

const parentOf = (value: DcComment) => (value.parentId === undefined ? {} : { commentParentId: value.parentId });

export function addComment(ctx: OpContext, repo: DcRepository, pr: PullRequest, author: DcUser, text: string, parentId?: number): Emitted & { commentId: number } {
  if (parentId !== undefined) findComment(pr, parentId);
  const at = ctx.model.stamp(ctx.at);
  const value: DcComment = { id: ctx.model.commentId(), version: 0, text, authorId: author.id, createdAt: at, updatedAt: at, deleted: false, ...(parentId === undefined ? {} : { parentId }) };
  pr.comments.push(value);
  joinAsParticipant(pr.participants, author.id, pr.authorId);
  // A reply is its own activity, REPLIED (Data Center's CommentAction), though its webhook is pr:comment:added.
  record(ctx, pr, author, at, { action: 'COMMENTED', commentAction: parentId === undefined ? 'ADDED' : 'REPLIED', commentId: value.id });
  return {
    commentId: value.id,
    events: [pullRequestEvent(ctx, 'pr:comment:added', repo, pr, author, at, { comment: renderComment(ctx.render, repo, pr, value), ...parentOf(value) })],
  };
}

export function editComment(ctx: OpContext, repo: DcRepository, pr: PullRequest, id: number, text: string): Emitted {
  const value = findComment(pr, id);
  const author = ctx.model.userById(value.authorId);
  const previousComment = value.text;
  const at = ctx.model.stamp(ctx.at);
  Object.assign(value, { text, version: value.version + 1, updatedAt: at });
  record(ctx, pr, author, at, { action: 'COMMENTED', commentAction: 'EDITED', commentId: id });
  return { events: [pullRequestEvent(ctx, 'pr:comment:edited', repo, pr, author, at, { comment: renderComment(ctx.render, repo, pr, value), ...parentOf(value), previousComment })] };
}

export function deleteComment(ctx: OpContext, repo: DcRepository, pr: PullRequest, id: number): Emitted {
  const value = findComment(pr, id);
  const author = ctx.model.userById(value.authorId);
  const at = ctx.model.stamp(ctx.at);
  const rendered = renderComment(ctx.render, repo, pr, value);
  value.deleted = true;
  record(ctx, pr, author, at, { action: 'COMMENTED', commentAction: 'DELETED', commentId: id });
  return { events: [pullRequestEvent(ctx, 'pr:comment:deleted', repo, pr, author, at, { comment: rendered, ...parentOf(value) })] };
}
