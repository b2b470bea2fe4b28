import { z } from 'zod';
import { Change } from '../change/change';

// What travels on the forwarding queue: a fresh change from a source, or outbox ids to move forward
// (a retry, a sweep of stragglers, a replayed dead letter).

export const ForwardMessage = z.union([z.object({ change: Change }), z.object({ ids: z.array(z.string()).min(1) })]);
export type ForwardMessage = z.infer<typeof ForwardMessage>;

export interface ForwardQueue {
  push(messages: ForwardMessage[], options?: { delaySeconds?: number }): Promise<void>;
}

/** Forge accepts at most 50 events per push. */
export const QUEUE_BATCH = 50;
