import { z } from 'zod';
import { Change } from '../change/change';
import { keyPart } from '../keys';

// What travels on the forwarding queue: a fresh change from a source, or outbox ids to move forward
// (a retry, a sweep of stragglers, a replayed dead letter).

export const ForwardMessage = z.union([z.object({ change: Change }), z.object({ ids: z.array(z.string()).min(1) })]);
export type ForwardMessage = z.infer<typeof ForwardMessage>;

export interface PushOptions {
  delaySeconds?: number;
  /** Messages with the same key are processed one at a time (Forge: `concurrency: {key, limit: 1}`). */
  serializeBy?: string;
}

export interface ForwardQueue {
  push(messages: ForwardMessage[], options?: PushOptions): Promise<void>;
}

/**
 * Reviewer changes of one pull request must be staged in order: clearing a status is read against the
 * status stored by the previous event (see change/intents.ts).
 */
export function serializationKey(change: Change): string | undefined {
  return change.kind === 'reviewer' ? `reviewer-${keyPart(change.repository.uuid)}-${change.pullRequestId}` : undefined;
}

/** Forge accepts at most 50 events per push. */
export const QUEUE_BATCH = 50;
