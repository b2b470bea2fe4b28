import { z } from 'zod';
import { Change } from '../change/change';
import { keyPart } from '../keys';

// What travels on the forwarding queue: a fresh change from a source, outbox ids to move forward (a
// retry, a sweep of stragglers, a replayed dead letter), or a piece of backfill or reconciliation work.

export const CommentMessage = z.object({
  workspace: z.string(),
  repository: z.string(),
  work: z.union([z.object({ pullRequestId: z.number().int() }), z.object({ deployment: z.string() })]),
  /** Failed tries before it was parked (the platform's retries ran out): counted on from there. */
  failures: z.number().int().min(0).optional(),
  /** The token of the job that parked it, kept so the comment's post it started is still its own. */
  poster: z.string().optional(),
});

export const ForwardMessage = z.union([
  z.object({ change: Change }),
  z.object({ ids: z.array(z.string()).min(1) }),
  /**
   * The next piece of one repository's backfill (core/backfill/job.ts), of the record's chain (none:
   * sent before chains were named), and the push requests the chain has used so far (chains.ts).
   */
  z.object({ backfill: z.object({ workspace: z.string(), repository: z.string(), chain: z.string().optional(), pushes: z.number().int().min(0).optional() }) }),
  /** Reconcile these repositories now (the five-minute tick chose them; see core/reconcile). */
  z.object({ reconcile: z.object({ workspace: z.string(), repositories: z.array(z.string()).min(1), changed: z.array(z.union([z.tuple([z.string(), z.number()]), z.string()])).default([]), changedCutAt: z.number().optional(), plannedAt: z.number().optional() }) }),
  /** Post or update the DORA comment: after a merge, or for those waiting on a production deployment. */
  z.object({ comment: CommentMessage }),
]);
export type ForwardMessage = z.infer<typeof ForwardMessage>;

export interface PushOptions {
  delaySeconds?: number;
  /**
   * Messages with the same key are meant to run one at a time (Forge: `concurrency: {key, limit: 1}`).
   * Forge documents the field, not what it promises, and delivers at least once: what must not run
   * twice at once guards itself too (the comment's post: core/metrics/comment.ts).
   */
  serializeBy?: string;
}

export interface QueuedMessage {
  message: ForwardMessage;
  options?: PushOptions;
}

export interface ForwardQueue {
  push(messages: ForwardMessage[], options?: PushOptions): Promise<void>;
  /**
   * Messages each with options of its own, in as few push requests as the platform takes. Forge counts
   * push requests (at most 1,000 in one lineage of invocations): a backfill piece queues what it staged
   * and its successor in one. A queue whose pushes cost nothing (the bridge's) may leave it out.
   */
  pushEach?(items: QueuedMessage[]): Promise<void>;
  /**
   * Whether an outbox id is in a message this queue has yet to finish (waiting, running, or planned).
   * The outbox sweep leaves those alone: only a queue in this process (the bridge's) can tell.
   */
  holds?(id: string): boolean;
}

/** Queues `items` through pushEach where the queue has it, else one message at a time. */
export async function pushEach(queue: ForwardQueue, items: QueuedMessage[]): Promise<void> {
  if (!items.length) return;
  if (queue.pushEach) return queue.pushEach(items);
  for (const { message, options } of items) await queue.push([message], options);
}

/** Outbox ids as messages of at most QUEUE_BATCH ids each. */
export function idsMessages(ids: string[]): ForwardMessage[] {
  const messages: ForwardMessage[] = [];
  for (let i = 0; i < ids.length; i += QUEUE_BATCH) messages.push({ ids: ids.slice(i, i + QUEUE_BATCH) });
  return messages;
}

/**
 * The platform refused a push: this lineage of invocations has made all the push requests Forge allows
 * one (`invocation-limit`; only a new lineage, such as the five-minute tick's, can push again), or the
 * installation pushed too many events this minute (`rate-limit`; a minute later it can), or it took part
 * of the request and refused the rest (`partial`). What it carried must be queued again later, from
 * where it is kept; anything of it that did run, runs twice, which every consumer tolerates.
 */
export class PushRefusedError extends Error {
  constructor(
    readonly refusal: 'invocation-limit' | 'rate-limit' | 'partial',
    message: string,
  ) {
    super(message);
    this.name = 'PushRefusedError';
  }
}

/**
 * Backfill pieces and reconciliation batches run one at a time: each asks the shared budget how much
 * it may spend before it starts, and two asking at once would both be told the same remainder.
 */
export const PLANNED_WORK = 'planned-work';

/** One repository's comments are meant to be written one at a time (the comment guards its post itself too). */
export function commentKey(repository: string): string {
  return `comment-${keyPart(repository)}`;
}

/**
 * Reviewer changes of one pull request must be staged in order: clearing a status is read against the
 * status stored by the previous event (see change/intents.ts).
 */
export function serializationKey(change: Change): string | undefined {
  return change.kind === 'reviewer' ? `reviewer-${keyPart(change.repository.uuid)}-${change.pullRequestId}` : undefined;
}

/** Forge accepts at most 50 events per push; a message carries at most as many outbox ids. */
export const QUEUE_BATCH = 50;
