// Pull requests, their participants, comments and activities, as REST answers and webhooks print them.
import { findCommit } from '../model/commits';
import { targetHash } from '../model/pull-requests';
import type { DcRepository } from '../model/repository';
import type { Activity, DcComment, Participant, PullRequest } from '../model/types';
import { entityDate } from '../util/dates';
import type { JsonObject, RenderContext } from './context';
import { commit } from './commits';
import { repository, user } from './entities';

function ref(ctx: RenderContext, repo: DcRepository, branch: string, hash: string): JsonObject {
  return { id: `refs/heads/${branch}`, displayId: branch, latestCommit: hash, type: 'BRANCH', repository: repository(ctx, repo) };
}

export function participant(ctx: RenderContext, value: Participant): JsonObject {
  return {
    user: user(ctx, ctx.model.userById(value.userId)), ...(value.lastReviewedCommit ? { lastReviewedCommit: value.lastReviewedCommit } : {}),
    role: value.role, approved: value.status === 'APPROVED', status: value.status,
  };
}

export function pullRequestLink(ctx: RenderContext, repo: DcRepository, id: number): string {
  return `${ctx.base}/projects/${repo.projectKey}/repos/${repo.slug}/pull-requests/${id}`;
}

export function pullRequest(ctx: RenderContext, repo: DcRepository, pr: PullRequest, options: { properties?: boolean } = {}): JsonObject {
  const from = ctx.model.repositoryById(pr.from.repositoryId);
  const date = (ms: number) => entityDate(ctx.dateFormat, ms);
  const comments = pr.comments.filter((comment) => !comment.deleted).length;
  const properties: JsonObject = {
    ...(pr.state === 'MERGED' ? {} : { mergeResult: { outcome: 'CLEAN', current: true } }),
    resolvedTaskCount: 0, commentCount: comments, openTaskCount: 0,
    ...(pr.mergeCommit ? { mergeCommit: { displayId: pr.mergeCommit.slice(0, 11), id: pr.mergeCommit } } : {}),
  };
  return {
    id: pr.id, version: pr.version, title: pr.title, description: pr.description, state: pr.state,
    open: pr.state === 'OPEN', closed: pr.state !== 'OPEN', draft: pr.draft,
    createdDate: date(pr.createdAt), updatedDate: date(pr.updatedAt), ...(pr.closedAt === null ? {} : { closedDate: date(pr.closedAt) }),
    fromRef: ref(ctx, from, pr.from.branch, pr.from.hash),
    toRef: ref(ctx, repo, pr.to.branch, targetHash(ctx.model, repo, pr)),
    locked: false,
    author: { user: user(ctx, ctx.model.userById(pr.authorId)), role: 'AUTHOR', approved: false, status: 'UNAPPROVED' },
    reviewers: pr.participants.filter((p) => p.role === 'REVIEWER').map((p) => participant(ctx, p)),
    participants: pr.participants.filter((p) => p.role === 'PARTICIPANT').map((p) => participant(ctx, p)),
    ...(options.properties === false ? {} : { properties }),
    links: { self: [{ href: pullRequestLink(ctx, repo, pr.id) }] },
  };
}

export function comment(ctx: RenderContext, repo: DcRepository, pr: PullRequest, value: DcComment): JsonObject {
  const replies = pr.comments.filter((candidate) => candidate.parentId === value.id && !candidate.deleted);
  return {
    properties: { repositoryId: repo.id }, id: value.id, version: value.version, text: value.text,
    author: user(ctx, ctx.model.userById(value.authorId)),
    createdDate: entityDate(ctx.dateFormat, value.createdAt), updatedDate: entityDate(ctx.dateFormat, value.updatedAt),
    comments: replies.map((reply) => comment(ctx, repo, pr, reply)), tasks: [], severity: 'NORMAL', state: 'OPEN',
    permittedOperations: { editable: true, transitionable: true, deletable: true },
  };
}

function commits(ctx: RenderContext, repo: DcRepository, hashes: readonly string[]): JsonObject {
  const found = hashes.flatMap((hash) => findCommit(ctx.model, repo, hash) ?? []);
  return { commits: found.map((value) => commit(ctx, repo, value)), total: found.length };
}

export function activity(ctx: RenderContext, repo: DcRepository, pr: PullRequest, value: Activity): JsonObject {
  const base = { id: value.id, createdDate: entityDate(ctx.dateFormat, value.at), user: user(ctx, ctx.model.userById(value.userId)), action: value.action };
  const source = ctx.model.repositoryById(pr.from.repositoryId);
  switch (value.action) {
    case 'COMMENTED': {
      const target = pr.comments.find((candidate) => candidate.id === value.commentId);
      return { ...base, commentAction: value.commentAction, ...(target ? { comment: comment(ctx, repo, pr, target) } : {}) };
    }
    case 'RESCOPED':
      return {
        ...base, fromHash: value.fromHash, previousFromHash: value.previousFromHash, previousToHash: value.previousToHash, toHash: value.toHash,
        added: commits(ctx, source, value.added), removed: commits(ctx, source, value.removed),
      };
    case 'UPDATED':
      return {
        ...base, addedReviewers: value.addedReviewers.map((id) => user(ctx, ctx.model.userById(id))),
        removedReviewers: value.removedReviewers.map((id) => user(ctx, ctx.model.userById(id))),
      };
    case 'MERGED': {
      const merge = findCommit(ctx.model, repo, value.commit);
      return { ...base, ...(merge ? { commit: commit(ctx, repo, merge) } : {}) };
    }
    default:
      return base;
  }
}
