// Pull request lifecycle: open, edit, reviewers, merge, decline, reopen, delete. Each changes the
// explicit state, records the activity Data Center would, bumps updatedDate and returns the webhooks.
import { SimConflictError, SimNotFoundError } from '../../sim-common/errors';
import { pullRequestEvent } from '../events/build';
import { targetHash } from '../model/pull-requests';
import { branchTip } from '../model/refs';
import type { DcRepository } from '../model/repository';
import type { DcUser, PullRequest } from '../model/types';
import { user } from '../render/entities';
import type { Emitted, OpContext } from '../runtime';
import { record, requireOpen, scope } from './common';
import { commitMergeOf } from './merge';

export interface OpenSpec {
  author: DcUser;
  source: DcRepository;
  fromBranch: string;
  toBranch: string;
  title: string;
  description: string;
  reviewers: DcUser[];
  draft: boolean;
}

export function openPullRequest(ctx: OpContext, repo: DcRepository, spec: OpenSpec): Emitted & { pullRequest: PullRequest } {
  const fromHash = branchTip(ctx.model, spec.source, spec.fromBranch);
  const toHash = branchTip(ctx.model, repo, spec.toBranch);
  if (!fromHash) throw new SimNotFoundError(`branch ${spec.fromBranch} not found in ${spec.source.slug}`);
  if (!toHash) throw new SimNotFoundError(`branch ${spec.toBranch} not found in ${repo.slug}`);
  if (spec.source === repo && spec.fromBranch === spec.toBranch) throw new SimConflictError('source and target are the same branch');
  const at = ctx.model.stamp(ctx.at);
  const pr: PullRequest = {
    id: repo.nextPullRequestId++, version: 0, title: spec.title, description: spec.description, state: 'OPEN', draft: spec.draft,
    createdAt: at, updatedAt: at, closedAt: null, authorId: spec.author.id,
    from: { repositoryId: spec.source.id, branch: spec.fromBranch, hash: fromHash }, to: { branch: spec.toBranch, hash: null },
    participants: spec.reviewers.filter((reviewer) => reviewer.id !== spec.author.id).map((reviewer) => ({ userId: reviewer.id, role: 'REVIEWER', status: 'UNAPPROVED' })),
    commits: scope(ctx, spec.source, fromHash, toHash), mergeCommit: null, comments: [], activities: [],
  };
  repo.live.set(pr.id, pr);
  record(ctx, pr, spec.author, at, { action: 'OPENED' });
  return { pullRequest: pr, events: [pullRequestEvent(ctx, 'pr:opened', repo, pr, spec.author, at)] };
}

/** Title, description and target branch; Data Center records no activity for these, only `pr:modified`. */
export function editPullRequest(ctx: OpContext, repo: DcRepository, pr: PullRequest, actor: DcUser, changes: { title?: string; description?: string; toBranch?: string }): Emitted {
  requireOpen(pr);
  const previousTarget = { branch: pr.to.branch, hash: targetHash(ctx.model, repo, pr) };
  if (changes.toBranch !== undefined) {
    const toHash = branchTip(ctx.model, repo, changes.toBranch);
    if (!toHash) throw new SimNotFoundError(`branch ${changes.toBranch} not found in ${repo.slug}`);
    pr.to = { branch: changes.toBranch, hash: null };
    pr.commits = scope(ctx, ctx.model.repositoryById(pr.from.repositoryId), pr.from.hash, toHash);
  }
  const extra = {
    previousTitle: pr.title, previousDescription: pr.description,
    previousTarget: { id: `refs/heads/${previousTarget.branch}`, displayId: previousTarget.branch, type: 'BRANCH', latestCommit: previousTarget.hash, latestChangeset: previousTarget.hash },
  };
  if (changes.title !== undefined) pr.title = changes.title;
  if (changes.description !== undefined) pr.description = changes.description;
  const at = ctx.model.stamp(ctx.at);
  pr.version += 1;
  pr.updatedAt = at;
  return { events: [pullRequestEvent(ctx, 'pr:modified', repo, pr, actor, at, extra)] };
}

export function updateReviewers(ctx: OpContext, repo: DcRepository, pr: PullRequest, actor: DcUser, add: DcUser[], remove: DcUser[]): Emitted {
  requireOpen(pr);
  const added = add.filter((person) => person.id !== pr.authorId && !pr.participants.some((p) => p.userId === person.id && p.role === 'REVIEWER'));
  const removed = remove.filter((person) => pr.participants.some((p) => p.userId === person.id && p.role === 'REVIEWER'));
  if (added.length + removed.length === 0) throw new SimConflictError('no reviewer to add or remove');
  pr.participants = pr.participants.filter((p) => !removed.some((person) => person.id === p.userId));
  for (const person of added) {
    const existing = pr.participants.find((p) => p.userId === person.id);
    if (existing) existing.role = 'REVIEWER';
    else pr.participants.push({ userId: person.id, role: 'REVIEWER', status: 'UNAPPROVED' });
  }
  const at = ctx.model.stamp(ctx.at);
  pr.version += 1;
  record(ctx, pr, actor, at, { action: 'UPDATED', addedReviewers: added.map((u) => u.id), removedReviewers: removed.map((u) => u.id) });
  const users = (list: DcUser[]) => list.map((u) => user(ctx.render, u));
  return { events: [pullRequestEvent(ctx, 'pr:reviewer:updated', repo, pr, actor, at, { addedReviewers: users(added), removedReviewers: users(removed) })] };
}

/** A state change: closing (or reopening) is a new version of the pull request. */
function changeState(pr: PullRequest, state: PullRequest['state'], at: number | null): void {
  pr.state = state;
  pr.closedAt = at;
  pr.version += 1;
}

export function mergePullRequest(ctx: OpContext, repo: DcRepository, pr: PullRequest, actor: DcUser): Emitted & { mergeCommit: string } {
  requireOpen(pr);
  const merged = commitMergeOf(ctx, repo, pr, actor);
  const at = ctx.model.stamp(ctx.at);
  changeState(pr, 'MERGED', at);
  pr.mergeCommit = merged.commit;
  pr.to.hash = merged.previousTarget;
  record(ctx, pr, actor, at, { action: 'MERGED', commit: merged.commit });
  return { mergeCommit: merged.commit, events: [pullRequestEvent(ctx, 'pr:merged', repo, pr, actor, at), ...merged.events] };
}

export function declinePullRequest(ctx: OpContext, repo: DcRepository, pr: PullRequest, actor: DcUser): Emitted {
  requireOpen(pr);
  const at = ctx.model.stamp(ctx.at);
  pr.to.hash = targetHash(ctx.model, repo, pr);
  changeState(pr, 'DECLINED', at);
  record(ctx, pr, actor, at, { action: 'DECLINED' });
  return { events: [pullRequestEvent(ctx, 'pr:declined', repo, pr, actor, at)] };
}

/** Data Center has no webhook event for reopening; the activity and the REST state show it. */
export function reopenPullRequest(ctx: OpContext, repo: DcRepository, pr: PullRequest, actor: DcUser): Emitted {
  if (pr.state !== 'DECLINED') throw new SimConflictError(`only a declined pull request can be reopened (#${pr.id} is ${pr.state})`);
  const at = ctx.model.stamp(ctx.at);
  changeState(pr, 'OPEN', null);
  pr.to.hash = null;
  record(ctx, pr, actor, at, { action: 'REOPENED' });
  return { events: [] };
}

/** A deleted pull request is gone from every REST answer (404); only the webhook tells. */
export function deletePullRequest(ctx: OpContext, repo: DcRepository, pr: PullRequest, actor: DcUser): Emitted {
  const at = ctx.model.stamp(ctx.at);
  const event = pullRequestEvent(ctx, 'pr:deleted', repo, pr, actor, at);
  repo.live.delete(pr.id);
  repo.deletedPullRequests.add(pr.id);
  return { events: [event] };
}
