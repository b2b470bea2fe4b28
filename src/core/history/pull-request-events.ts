import type { Change } from '../change/change';
import { intentsFor } from '../change/intents';
import type { Account, ActivityEntry, Commit, PullRequest, Repository } from '../enrich/cloud/schema';
import { isOwnComment } from '../metrics/marker';
import { cloudBody, type Body } from '../payload/cloud';
import type { PullRequestCommits } from './graph';
import { withPandev, type Prebuilt } from './prebuilt';

// A pull request's history as the native events it went through, rebuilt from the pull request and
// its activity entries with the same changes (and so the same delivery ids) the live triggers produce.

export interface PullRequestContext {
  workspace: string;
  repository: Repository;
  pullRequest: PullRequest;
  /** Only events at or after this instant are replayed. */
  since: number;
  origin: 'backfill' | 'reconcile';
}

export interface Lifecycle {
  commits: PullRequestCommits;
  /** Only the newest of its commits are listed: all of them would not fit one stored value (backfill/store.ts). */
  commitsTruncated?: true;
  size?: { files: number; lines_added: number; lines_removed: number; partial?: boolean };
}

/** Bitbucket reports a comment edit only ten minutes or more after the last change (Forge event reference). */
const EDIT_REPORTED_AFTER_MS = 10 * 60 * 1000;

/** Created: what the pull request object itself tells. */
export function lifecycleEvents(input: PullRequestContext, lifecycle?: Lifecycle): Prebuilt[] {
  const { pullRequest: pr } = input;
  const events = builder(input);
  if (events.after(pr.created_on)) events.add({ ...events.base, ...actorRef(pr.author), kind: 'pullrequest', action: 'created', at: pr.created_on }, { actor: pr.author }, lifecycle ? lifecycleExtras(lifecycle) : undefined);
  return events.out;
}

/** Updates, reviews and comments: what the activity log tells. Entries of any pull request may come in. */
export function activityEvents(input: PullRequestContext, entries: ActivityEntry[], lifecycle?: Lifecycle): Prebuilt[] {
  const { pullRequest: pr } = input;
  const events = builder(input);
  const extra = lifecycle ? lifecycleExtras(lifecycle) : undefined;
  for (const entry of entries) {
    const update = entry.update;
    // Each state the pull request went through is an update entry; the first is its creation (lifecycleEvents).
    if (update && events.after(update.date)) {
      const actor = update.author ?? pr.author;
      // Exact text: an edit in the same millisecond as the creation is still an edit.
      if (update.state === 'OPEN' && update.date !== pr.created_on) {
        events.add({ ...events.base, ...actorRef(actor), kind: 'pullrequest', action: 'updated', at: update.date, updatedOn: update.date }, { actor }, extra);
      }
      if (update.state === 'MERGED' || update.state === 'DECLINED') {
        const closer = pr.closed_by ?? actor;
        events.add({ ...events.base, ...actorRef(closer), kind: 'pullrequest', action: update.state === 'MERGED' ? 'fulfilled' : 'rejected', at: update.date }, { ...(closer ? { actor: closer } : {}) }, extra);
      }
    }
    const review = entry.approval ?? entry.changes_request;
    if (review && events.after(review.date)) {
      const status = entry.approval ? 'approved' : 'changes_requested';
      const who = { uuid: review.user.uuid, accountId: review.user.account_id };
      events.add({ ...events.base, actor: who, kind: 'reviewer', at: review.date, reviewers: [{ user: who, status, at: review.date }] }, { actor: review.user, reviewer: review.user });
    }
    const comment = entry.comment;
    if (!comment || isOwnComment(comment)) continue;
    const commentBase = { ...events.base, ...actorRef(comment.user), kind: 'comment' as const, commentId: comment.id };
    if (events.after(comment.created_on)) events.add({ ...commentBase, action: 'created', at: comment.created_on }, { actor: comment.user, comment });
    const edited = comment.updated_on && Date.parse(comment.updated_on) - Date.parse(comment.created_on) >= EDIT_REPORTED_AFTER_MS;
    if (comment.deleted) events.add({ ...commentBase, action: 'deleted', at: comment.updated_on ?? comment.created_on }, { actor: comment.user, comment });
    else if (edited && events.after(comment.updated_on)) events.add({ ...commentBase, action: 'updated', at: comment.updated_on! }, { actor: comment.user, comment });
  }
  return events.out;
}

function actorRef(account?: Account) {
  return account ? { actor: { uuid: account.uuid, accountId: account.account_id } } : {};
}

function builder(input: PullRequestContext) {
  const out: Prebuilt[] = [];
  const base = {
    edition: 'cloud' as const,
    workspace: input.workspace,
    repository: { uuid: input.repository.uuid, slug: input.repository.name },
    origin: input.origin,
    pullRequestId: input.pullRequest.id,
  };
  const after = (date: string | null | undefined) => !!date && Date.parse(date) >= input.since;
  const add = (change: Change, people: { actor?: Account; reviewer?: Account; comment?: ActivityEntry['comment'] }, extra?: Body) => {
    for (const intent of intentsFor(change).intents) {
      const parts = { family: 'pullrequest' as const, repository: input.repository, pullrequest: input.pullRequest, ...people };
      const body = cloudBody(parts, intent, change);
      out.push({ change, intent, body: extra ? withPandev(body, extra) : body });
    }
  };
  return { out, base, after, add };
}

/** What PanDev needs beside the native lifecycle events: the commits, the first commit's time, the size. */
function lifecycleExtras(input: Lifecycle): Body {
  const { commits, firstCommitAt, incomplete } = input.commits;
  return {
    pullrequest: {
      commits: commits.map(compactCommit),
      ...(input.commitsTruncated ? { commits_truncated: true } : {}),
      first_commit_at: firstCommitAt,
      ...(incomplete ? { first_commit_unavailable: incomplete } : {}),
      ...(input.size ? { size: input.size } : {}),
    },
  };
}

export function compactCommit(commit: Commit): Body {
  return {
    hash: commit.hash,
    date: commit.date ?? null,
    message: commit.message ?? null,
    // Kept to its first line where a stored pull request had to shed text (backfill/store.ts).
    ...(commit.message_truncated === true ? { message_truncated: true } : {}),
    author: { raw: commit.author?.raw ?? null, uuid: commit.author?.user?.uuid ?? null },
    parents: (commit.parents ?? []).map((p) => p.hash),
  };
}
