// A seeded pull request in full, regenerated from its seed whenever it is asked for: reviews, comments,
// a rescope, and the close, all placed between the times the seeder fixed (so lists sort without this).
import { mainHash, seededPrHash } from '../model/commits';
import type { DcRepository } from '../model/repository';
import type { DcModel } from '../model/state';
import type { Activity, DcComment, DcUser, Participant, PullRequest, SeededPullRequest } from '../model/types';
import { MINUTE } from '../util/dates';
import { COMMENTS } from '../../sim-common/words';
import { ACTIVITY_BLOCK, COMMENT_BLOCK } from './instance';
import { pullRequestIdentity, seededCommitCount } from './pull-request-identity';

/** An activity before it gets its id (per activity kind, so each keeps its own fields). */
type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Draft = Without<Activity, 'id'>;

export function generatePullRequest(model: DcModel, repo: DcRepository, seeded: SeededPullRequest): PullRequest {
  const identity = pullRequestIdentity(model, repo, seeded.id);
  const { rng, author } = identity;
  const end = seeded.closedAt ?? seeded.updatedAt;
  const hashes = Array.from({ length: seededCommitCount(seeded) }, (_, i) => seededPrHash(model, repo, seeded.id, i));
  const openedTip = hashes[seeded.initialCommits - 1] as string;
  const tipAt = (at: number): string => (seeded.rescopeAt && at >= seeded.rescopeAt ? (hashes.at(-1) as string) : openedTip);
  const between = (from: number, to: number): number => Math.round(from + (0.05 + 0.9 * rng.next()) * (to - from));
  const drafts: Draft[] = [{ action: 'OPENED', at: seeded.createdAt, userId: author.id }];
  const participants: Participant[] = identity.reviewers.map((user) => ({ userId: user.id, role: 'REVIEWER', status: 'UNAPPROVED' }));
  const lastAt = seeded.closedAt === null ? end : end - MINUTE;

  // Sometimes a reviewer is added after opening (an UPDATED activity).
  const late = participants.length > 1 && rng.chance(0.2) ? (participants.at(-1) as Participant) : undefined;
  if (late) drafts.push({ action: 'UPDATED', at: between(seeded.createdAt, seeded.rescopeAt || lastAt), userId: author.id, addedReviewers: [late.userId], removedReviewers: [] });
  if (seeded.rescopeAt) {
    const toHash = mainHash(model, repo, repo.mainLine.positionAt(seeded.rescopeAt));
    drafts.push({
      action: 'RESCOPED', at: seeded.rescopeAt, userId: author.id, fromHash: hashes.at(-1) as string, previousFromHash: openedTip,
      toHash, previousToHash: mainHash(model, repo, repo.mainLine.positionAt(seeded.createdAt)),
      added: hashes.slice(seeded.initialCommits), removed: [],
    });
  }
  for (const reviewer of participants) {
    const roll = rng.next();
    const first = between(seeded.createdAt, lastAt);
    if (roll < 0.55) {
      drafts.push({ action: 'APPROVED', at: first, userId: reviewer.userId });
      if (rng.chance(0.08)) drafts.push({ action: 'UNAPPROVED', at: between(first, lastAt), userId: reviewer.userId });
    } else if (roll < 0.75) {
      drafts.push({ action: 'REVIEWED', at: first, userId: reviewer.userId });
      if (rng.chance(0.5)) drafts.push({ action: 'APPROVED', at: between(first, lastAt), userId: reviewer.userId });
    }
  }
  const commenters = [...identity.reviewers, author, ...model.users.slice(1).filter((user) => user !== author && !identity.reviewers.includes(user))];
  const comments: DcComment[] = [];
  const commentCount = rng.int(0, 3) + (seeded.state === 'OPEN' && seeded.updatedAt > seeded.createdAt ? 1 : 0);
  for (let k = 0; k < Math.min(commentCount, COMMENT_BLOCK); k++) {
    // An open pull request's last comment is what last updated it.
    const at = k === commentCount - 1 && seeded.state === 'OPEN' ? end : between(seeded.createdAt, lastAt);
    const by: DcUser = rng.pick(commenters.slice(0, identity.reviewers.length + 2));
    const id = seeded.ordinal * COMMENT_BLOCK + k + 1;
    comments.push({ id, version: 0, text: rng.pick(COMMENTS), authorId: by.id, createdAt: at, updatedAt: at, deleted: false });
    drafts.push({ action: 'COMMENTED', at, userId: by.id, commentAction: 'ADDED', commentId: id });
  }
  if (seeded.state === 'MERGED') drafts.push({ action: 'MERGED', at: end, userId: identity.merger.id, commit: mainHash(model, repo, seeded.mergeIndex) });
  if (seeded.state === 'DECLINED') drafts.push({ action: 'DECLINED', at: end, userId: (identity.reviewers[0] ?? author).id });

  drafts.sort((a, b) => a.at - b.at);
  const activities = drafts.slice(0, ACTIVITY_BLOCK).map((draft, k) => ({ ...draft, id: seeded.ordinal * ACTIVITY_BLOCK + k + 1 }) as Activity);
  for (const activity of activities) applyReview(participants, activity, tipAt(activity.at));
  for (const comment of comments) joinAsParticipant(participants, comment.authorId, author.id);
  return {
    id: seeded.id, version: activities.filter((activity) => activity.action !== 'COMMENTED').length - 1,
    title: identity.title, description: `${identity.title}.\n\n* ${identity.noun} covered by tests`,
    state: seeded.state, draft: false, createdAt: seeded.createdAt, updatedAt: seeded.updatedAt, closedAt: seeded.closedAt, authorId: author.id,
    from: { repositoryId: repo.id, branch: identity.branch, hash: hashes.at(-1) as string },
    to: {
      branch: repo.defaultBranch,
      hash: seeded.state === 'OPEN' ? null : mainHash(model, repo, seeded.mergeIndex >= 0 ? seeded.mergeIndex - 1 : repo.mainLine.positionAt(end)),
    },
    participants, commits: hashes, mergeCommit: seeded.mergeIndex >= 0 ? mainHash(model, repo, seeded.mergeIndex) : null, comments, activities,
  };
}

/** A review changes the reviewer's status (people who review unasked join as participants). */
export function applyReview(participants: Participant[], activity: Activity, tip: string): void {
  const status = activity.action === 'APPROVED' ? 'APPROVED' : activity.action === 'REVIEWED' ? 'NEEDS_WORK' : activity.action === 'UNAPPROVED' ? 'UNAPPROVED' : undefined;
  if (!status) return;
  let participant = participants.find((candidate) => candidate.userId === activity.userId);
  if (!participant) participants.push((participant = { userId: activity.userId, role: 'PARTICIPANT', status }));
  participant.status = status;
  participant.lastReviewedCommit = tip;
}

export function joinAsParticipant(participants: Participant[], userId: number, authorId: number): void {
  if (userId !== authorId && !participants.some((participant) => participant.userId === userId)) {
    participants.push({ userId, role: 'PARTICIPANT', status: 'UNAPPROVED' });
  }
}
