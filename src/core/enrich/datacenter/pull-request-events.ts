import type { Change, ReviewerStatus } from '../../change/change';
import { isModificationSlot, toSecond } from '../../change/datacenter-intents';
import { counted, countsSince, SameSecondCounts } from '../../change/same-second';
import { intentsFor } from '../../change/intents';
import type { Prebuilt } from '../../history/prebuilt';
import type { Body } from '../../payload/cloud';
import { dcPullRequestBody } from '../../payload/datacenter';
import { epochMs, type Activity, type Comment, type Participant, type PullRequest, type Repository, type User } from './schema';

// A pull request's new activities become the native Data Center events they stand for, with the
// bodies built from the objects the poll holds already (no request per event). What the activity
// feed does not record, a changed title, description or target (pr:modified), is found by comparing
// the pull request with what the previous pass saw of it.

export interface DcSource {
  /** The instance id every delivery id of this bridge is made of. */
  instance: string;
  repository: Repository;
  origin: 'poll' | 'backfill' | 'webhook';
}

/** What a pass keeps of an open pull request, to tell the next pass what changed. */
export interface PullRequestMemory {
  title: string;
  description: string | null;
  toRef: { id: string; displayId: string; latestCommit: string | null };
  /** Reviewer statuses by user id (previousStatus of the next review). */
  reviews: Record<string, string>;
  /** The pull request's version with this content: a pr:modified webhook of a later one is an edit not seen yet. */
  version?: number;
  /** Changes versioned by their second, counted in it (change/same-second.ts): a pass may read only the later ones. */
  counts?: SameSecondCounts;
}

const reviewStatus: Record<string, ReviewerStatus> = { APPROVED: 'approved', REVIEWED: 'changes_requested', UNAPPROVED: 'none' };
const dcStatus: Record<ReviewerStatus, string> = { approved: 'APPROVED', changes_requested: 'NEEDS_WORK', none: 'UNAPPROVED' };

/**
 * `activities` oldest first, only those not seen before and not older than the window. `kept`: the counts
 * of a pull request with no memory kept (a merged one).
 */
export function pullRequestEvents(source: DcSource, pr: PullRequest, activities: Activity[], memory?: PullRequestMemory, kept?: SameSecondCounts): { events: Prebuilt[]; memory: PullRequestMemory } {
  const events: Prebuilt[] = [];
  const reviews = { ...(memory?.reviews ?? {}) };
  let counts = SameSecondCounts.catch({}).parse(memory?.counts ?? kept ?? {});
  const base = { edition: 'datacenter' as const, workspace: source.instance, repository: repositoryRef(source.repository), origin: source.origin, pullRequestId: pr.id };
  const tips = sourceTips(pr, activities);
  let shown = pr;
  const emit = (found: Change, actor: User | null, extra?: Body) => {
    const { change, counts: now } = counted(found, counts);
    counts = now;
    for (const intent of intentsFor(change).intents) events.push({ change, intent, body: dcPullRequestBody({ actor, pullRequest: shown, ...(extra ? { extra } : {}) }, intent, change) });
  };
  for (const [index, activity] of activities.entries()) {
    const tip = tips[index];
    shown = tip === undefined || tip === pr.fromRef.latestCommit ? pr : { ...pr, fromRef: { ...pr.fromRef, latestCommit: tip } };
    const at = isoTime(activity.createdDate);
    const common = { ...base, at, actor: actorRef(activity.user) };
    switch (activity.action) {
      case 'OPENED':
        emit({ ...common, kind: 'pullrequest', action: 'created' }, activity.user);
        break;
      case 'MERGED':
        emit({ ...common, kind: 'pullrequest', action: 'fulfilled' }, activity.user);
        break;
      case 'DECLINED':
        emit({ ...common, kind: 'pullrequest', action: 'rejected' }, activity.user);
        break;
      case 'RESCOPED':
        if (activity.fromHash && activity.previousFromHash && activity.fromHash !== activity.previousFromHash) {
          emit({ ...common, kind: 'pullrequest', action: 'source-updated', fromHash: activity.fromHash, previousFromHash: activity.previousFromHash }, activity.user, { previousFromHash: activity.previousFromHash });
        }
        break;
      case 'APPROVED':
      case 'UNAPPROVED':
      case 'REVIEWED': {
        const status = reviewStatus[activity.action]!;
        const who = String(activity.user.id ?? activity.user.name);
        const previousStatus = reviews[who] ?? 'UNAPPROVED';
        reviews[who] = dcStatus[status];
        const change: Change = { ...common, kind: 'reviewer', reviewers: [{ user: actorRef(activity.user), status, at }] };
        emit(change, activity.user, { participant: participantOf(pr, activity.user, dcStatus[status]), previousStatus });
        break;
      }
      case 'COMMENTED': {
        const comment = activity.comment;
        // A reply is REPLIED in the feed (Data Center's CommentAction), and pr:comment:added as a webhook.
        const action = activity.commentAction === 'EDITED' ? 'updated' : activity.commentAction === 'DELETED' ? 'deleted' : activity.commentAction === 'ADDED' || activity.commentAction === 'REPLIED' ? 'created' : undefined;
        if (!comment || !action) break;
        emit({ ...common, kind: 'comment', action, commentId: comment.id }, activity.user, { comment });
        if (action === 'created' && editedSinceAdded(comment) && !activities.some((a) => a.commentAction === 'EDITED' && a.comment?.id === comment.id)) {
          // An edit listed as no activity of its own still shows in the comment: its latest edit is
          // reported at its updatedDate, the time the pr:comment:edited webhook is versioned by.
          const editedAt = isoTime(comment.updatedDate!);
          emit({ ...base, at: editedAt, actor: actorRef(comment.author ?? activity.user), kind: 'comment', action: 'updated', commentId: comment.id }, comment.author ?? activity.user, { comment });
        }
        break;
      }
      // REOPENED has no webhook of its own (Data Center's pr:opened is "a pull request is created").
      // UPDATED ("the details of the pull request, such as title or description, have been updated",
      // PullRequestAction; reviewer changes too) is read below from what changed since the last pass,
      // which also covers edits older than the activities read; PanDev takes no pr:reviewer:updated.
    }
  }
  shown = pr;
  const modified = memory && modification(pr, memory);
  if (modified) {
    const at = isoTime(pr.updatedDate);
    emit({ ...base, at, kind: 'pullrequest', action: 'updated', updatedOn: at }, pr.author?.user ?? null, modified);
  }
  return { events, memory: remember(pr, reviews, countsSince(counts, toSecond(epochMs(pr.updatedDate)))) };
}

/**
 * Whether a comment was changed after it was added: RestComment's `version` counts its updates
 * (optimistic locking: 0 as added, as every captured comment shows) and `updatedDate` says when.
 */
function editedSinceAdded(comment: Comment): boolean {
  return (comment.version ?? 0) > 0 && comment.updatedDate !== undefined;
}

/**
 * The source branch's tip when each activity happened, as that moment's webhook shows it: the pull
 * request holds only the current tip, so it is wound back past every later push (RESCOPED).
 */
function sourceTips(pr: PullRequest, activities: Activity[]): Array<string | undefined> {
  const tips: Array<string | undefined> = [];
  let tip = pr.fromRef.latestCommit;
  for (let index = activities.length - 1; index >= 0; index--) {
    const activity = activities[index]!;
    const pushed = activity.action === 'RESCOPED' && activity.fromHash && activity.previousFromHash && activity.fromHash !== activity.previousFromHash;
    tips[index] = pushed ? activity.fromHash : tip;
    if (pushed) tip = activity.previousFromHash;
  }
  return tips;
}

/** Whether the title, description and target are those remembered (what pr:modified reports). */
export function sameContent(pr: PullRequest, memory: PullRequestMemory): boolean {
  const description = (pr.description as string | undefined) ?? null;
  return pr.title === memory.title && description === memory.description && pr.toRef.id === memory.toRef.id;
}

/** The memory with the pull request's current title, description and target (reviews kept). */
export function withContent(pr: PullRequest, memory: PullRequestMemory | undefined): PullRequestMemory {
  return remember(pr, memory?.reviews ?? {}, memory?.counts);
}

/**
 * What a re-read of every activity in a wider window (`backfill --days`) starts from. The content stays:
 * an edit made since the last pass has no activity, and is found only against it. The reviews and the
 * counts of what activities show go: the re-read counts those again, in the same order, and counted on
 * top of what it counted before each would take a new id. The modifications' counts stay: no activity
 * shows a modification, so nothing else would count it.
 */
export function memoryToReread(memory: PullRequestMemory | undefined, kept: SameSecondCounts | undefined): { memory?: PullRequestMemory; counts?: SameSecondCounts } {
  const counts = Object.fromEntries(Object.entries(memory?.counts ?? kept ?? {}).filter(([slot]) => isModificationSlot(slot)));
  const left = Object.keys(counts).length > 0 ? counts : undefined;
  if (!memory) return left ? { counts: left } : {};
  const { counts: _all, ...content } = memory;
  return { memory: { ...content, reviews: {}, ...(left ? { counts: left } : {}) } };
}

/** The previous title, description and target when any of them changed, as pr:modified carries them. */
function modification(pr: PullRequest, memory: PullRequestMemory): Body | undefined {
  if (sameContent(pr, memory)) return undefined;
  const target = { id: memory.toRef.id, displayId: memory.toRef.displayId, type: 'BRANCH', latestCommit: memory.toRef.latestCommit, latestChangeset: memory.toRef.latestCommit };
  return { previousTitle: memory.title, previousDescription: memory.description, previousTarget: target };
}

function remember(pr: PullRequest, reviews: Record<string, string>, counts: SameSecondCounts | undefined): PullRequestMemory {
  return {
    title: pr.title,
    description: (pr.description as string | undefined) ?? null,
    toRef: { id: pr.toRef.id, displayId: pr.toRef.displayId, latestCommit: pr.toRef.latestCommit ?? null },
    reviews,
    ...(pr.version !== undefined ? { version: pr.version } : {}),
    ...(counts && Object.keys(counts).length > 0 ? { counts } : {}),
  };
}

/** The reviewer as the webhook shows them: their participant entry, with the status this event set. */
function participantOf(pr: PullRequest, user: User, status: string): Participant {
  const all = [...(pr.reviewers ?? []), ...((pr.participants as Participant[] | undefined) ?? [])];
  const found = all.find((p) => (user.id !== undefined && p.user.id === user.id) || p.user.name === user.name);
  return { ...(found ?? { user, role: 'PARTICIPANT' }), approved: status === 'APPROVED', status };
}

export function repositoryRef(repository: Repository): { uuid: string; slug: string } {
  return { uuid: String(repository.id), slug: `${repository.project.key}/${repository.slug}` };
}

export function actorRef(user: User): { id?: number; name: string } {
  return { ...(user.id !== undefined ? { id: user.id } : {}), name: user.name };
}

export function isoTime(value: number | string): string {
  return new Date(epochMs(value)).toISOString();
}
