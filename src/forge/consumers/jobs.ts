import { randomUUID } from 'node:crypto';
import { InvocationError, InvocationErrorCode } from '@forge/events';
import { z } from 'zod';
import { runLink } from '../../core/backfill/chains';
import { BitbucketError, errorMessage } from '../../core/errors';
import { commentFailureAdvice, commentsEnabled, OUT_OF_TIME, updateComments } from '../../core/metrics/comment';
import type { CommentTask } from '../../core/pipeline/deliver-entries';
import { settingsStore } from '../../core/config/settings';
import { parkComments } from '../../core/pipeline/inbox';
import { commentKey, pushEach, PushRefusedError, type ForwardMessage } from '../../core/pipeline/queue';
import { reconcileBatch } from '../../core/reconcile/pass';
import { forgeContext } from '../adapters/context';
import { invocationDeadline } from '../adapters/deadline';
import { forgeForwardQueue } from '../adapters/queue';

// Backfill and reconciliation work taken off the queue. A backfill piece queues the next one itself
// (after the rate budget's wait, when there is one), so a repository's backfill is a chain of pieces
// each well inside the consumer's time limit (core/backfill/chains.ts).

export async function runBackfillMessage(message: Extract<ForwardMessage, { backfill: unknown }>['backfill']): Promise<InvocationError | undefined> {
  const ctx = forgeContext();
  const preferences = await settingsStore(ctx.store, ctx.secrets).preferences();
  const deadline = invocationDeadline(ctx.clock.now());
  const { retryAfterSeconds } = await runLink(message, { ctx, client: ctx.client, lookups: ctx.lookups, budget: ctx.budget, queue: forgeForwardQueue(), preferences, workspace: message.workspace, deadline });
  // Refused for the minute: this same link again a minute on resumes the parked record sooner than the tick.
  if (retryAfterSeconds === undefined) return undefined;
  return new InvocationError({ retryAfter: retryAfterSeconds, retryReason: InvocationErrorCode.FUNCTION_PLATFORM_RATE_LIMITED });
}

export async function runReconcileMessage(message: Extract<ForwardMessage, { reconcile: unknown }>['reconcile']): Promise<void> {
  const ctx = forgeContext();
  const { workspace, repositories, changed, changedCutAt, plannedAt } = message;
  const deadline = invocationDeadline(ctx.clock.now());
  await reconcileBatch({ repositories, changed, ...(changedCutAt !== undefined ? { changedCutAt } : {}), ...(plannedAt !== undefined ? { plannedAt } : {}) }, { ctx, client: ctx.client, lookups: ctx.lookups, budget: ctx.budget, queue: forgeForwardQueue(), workspace }, { deadline });
}

/**
 * Comments wait for nothing else, but one repository's are written one at a time. Called for a batch of
 * deliveries before the ledger records them (core/pipeline/deliver-entries.ts): throwing has them
 * delivered again.
 */
export async function queueComments(tasks: CommentTask[]): Promise<void> {
  if (!tasks.length) return;
  // Comments off: a merge's message still reads its size (the card shows it); any other would only be
  // told comments are off, so it is not sent, which keeps the live path lean.
  const ctx = forgeContext();
  const preferences = await settingsStore(ctx.store, ctx.secrets).preferences();
  const wanted = tasks.filter((task) => commentsEnabled(preferences, task.repository) || ('pullRequestId' in task.work && preferences.commitStats !== 'off'));
  try {
    // One push request for all of them: a delivery's consumer may belong to a long backfill lineage.
    await pushEach(forgeForwardQueue(), wanted.map((task) => ({ message: { comment: task }, options: { serializeBy: commentKey(task.repository) } })));
  } catch (error) {
    // Parked, the five-minute tick queues the comments: cheaper than delivering the batch again.
    if (!(error instanceof PushRefusedError)) throw error;
    await parkComments(ctx.store, wanted, `the queue refused: ${error.refusal}`, ctx.clock.now());
    ctx.log.warn({ comments: wanted.length, refusal: error.refusal }, 'pull request comments parked: the queue refused; the five-minute tick queues them');
  }
}

const COMMENT_ATTEMPTS = 6;
/**
 * Forge retries an async event for as long as its retention window lasts, a day, with no count
 * ("Async events API", runtime-reference/async-events-api: "automatically retried within the
 * retention window until they are successfully delivered"; "If the retention window is exceeded due
 * to app level errors, the Async Event is dropped"); the four retries were @forge/events 1.x's. So
 * what decides a comment's last platform retry is the time its window has left, which each retry's
 * context reports; the margin is for the platform starting a retry late.
 */
const WINDOW_MARGIN_SECONDS = 60;
/**
 * Carried by a comment message's retries: its failed tries so far (a hand-back for lack of time is
 * none), and the job's token, which makes the post it started its own (core/metrics/comment.ts).
 */
const CommentRetry = z.object({ failures: z.number().int().min(0), poster: z.string().optional() });

export interface ConsumerRetry {
  retryCount: number;
  retryData?: unknown;
  retentionWindow?: { remainingTimeMs: number } | undefined;
}

/** @forge/events 1.x's count, for a retry whose context reports no window (an older platform). */
const LEGACY_RETRIES = 4;

/** A first delivery has no retry context, and is hours inside its window. */
export function windowCloses(retry: ConsumerRetry | undefined, afterSeconds: number): boolean {
  if (!retry) return false;
  const left = retry.retentionWindow?.remainingTimeMs;
  // Not told: the old count is the safe guess, since a comment parked early is only written later, and
  // one retried past the platform's last try is lost.
  if (left === undefined) return retry.retryCount >= LEGACY_RETRIES;
  return left < (afterSeconds + WINDOW_MARGIN_SECONDS) * 1000;
}

export async function runCommentMessage(task: Extract<ForwardMessage, { comment: unknown }>['comment'], retry: ConsumerRetry | undefined): Promise<InvocationError | undefined> {
  const ctx = forgeContext();
  const settings = settingsStore(ctx.store, ctx.secrets);
  const [preferences, connection, selected] = await Promise.all([settings.preferences(), settings.connection(), settings.isSelected(task.repository)]);
  // Deselected since the merge (its job parked by a 429, or queued): the app no longer writes there.
  if (!selected) {
    ctx.log.info({ repository: task.repository, work: task.work }, 'no pull request comment: the repository is no longer selected');
    return undefined;
  }
  // A retry queued before hand-backs existed carries no count: each of its retries was a failure.
  const carried = CommentRetry.safeParse(retry?.retryData);
  const lineage = carried.success ? carried.data.failures : (retry?.retryCount ?? 0);
  // Tries before the task was last parked count too.
  const failures = (task.failures ?? 0) + lineage;
  // A copy of this message delivered beside it (Forge delivers at least once) draws a token of its own.
  const poster = task.poster ?? (carried.success ? carried.data.poster : undefined) ?? randomUUID();
  try {
    const outcomes = await updateComments(task.repository, task.work, { ctx, client: ctx.client, preferences, connection, workspace: task.workspace, deadline: invocationDeadline(ctx.clock.now()), poster });
    const left = outcomes.filter((outcome) => 'skipped' in outcome && outcome.skipped === OUT_OF_TIME).length;
    if (!left) return undefined;
    if (windowCloses(retry, 1)) {
      await parkComments(ctx.store, [{ ...task, failures, poster }], 'the invocation ran short of time as its retention window closed', ctx.clock.now());
      return undefined;
    }
    ctx.log.info({ repository: task.repository, left }, 'pull request comments left for the retry: the invocation ran short of time');
    return new InvocationError({ retryAfter: 1, retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST, retryData: { failures: lineage, poster } });
  } catch (error) {
    // Bitbucket's rolling hour can answer 429 for most of an hour: a wait, as for deliveries, never a
    // failed try. Retried, it spent the platform's few retries in minutes and the merge got no comment;
    // parked, the five-minute tick queues it again until the hour has room.
    if (error instanceof BitbucketError && error.kind === 'rate-limited') {
      await parkComments(ctx.store, [{ ...task, poster }], `Bitbucket's rate limit: ${errorMessage(error)}`, ctx.clock.now());
      ctx.log.info({ repository: task.repository, work: task.work }, 'pull request comment parked until Bitbucket\'s rate limit allows it; the five-minute tick queues it');
      return undefined;
    }
    // A comment is worth a few tries (a 5xx, a network failure); after that the next merge or deployment tries again.
    const transient = error instanceof BitbucketError && error.transient;
    if (!transient || failures + 1 >= COMMENT_ATTEMPTS) {
      const failure = { repository: task.repository, work: task.work, error: errorMessage(error) };
      // Comments off, a merge's message only reads the size for the card: an admin told a comment
      // failed would look for a comment that was never meant to be.
      if (!commentsEnabled(preferences, task.repository)) ctx.log.warn(failure, 'could not read the merged pull request\'s size for its card (PR comments are off)');
      else ctx.log.warn({ ...failure, ...(transient ? {} : { reason: commentFailureAdvice(error) }) }, 'could not write the pull request comment');
      return undefined;
    }
    const retryAfter = Math.min(900, 30 * 2 ** failures);
    // A retry past the window would be dropped: parked with its count, the five-minute tick queues it for the tries left.
    if (windowCloses(retry, retryAfter)) {
      await parkComments(ctx.store, [{ ...task, failures: failures + 1, poster }], errorMessage(error), ctx.clock.now());
      ctx.log.info({ repository: task.repository, work: task.work, failures: failures + 1 }, 'pull request comment parked: its retention window closes before the next retry; the five-minute tick queues it');
      return undefined;
    }
    return new InvocationError({ retryAfter, retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST, retryData: { failures: lineage + 1, poster } });
  } finally {
    await ctx.budget.flush();
  }
}
