import { randomUUID } from 'node:crypto';
import { Change } from '../change/change';
import { errorMessage } from '../errors';
import { kvKey } from '../keys';
import type { KeyValueStore, Logger } from '../ports';
import { z } from 'zod';
import { CommentMessage, commentKey, pushEach, QUEUE_BATCH, serializationKey, type ForwardQueue, type QueuedMessage } from './queue';

// When a trigger cannot queue a change (Forge allows 500 pushes a minute per installation), the change
// is parked here in one cheap write instead of being lost, and the five-minute tick queues it later.
// So is a merge's comment the delivery could not queue: the merge is delivered once, so nothing else
// would ever post it.

const PREFIX = 'inbox:';
const TTL_SECONDS = 7 * 24 * 3600;

export async function parkChange(store: KeyValueStore, change: Change, reason: string, now: number): Promise<void> {
  await store.set(PREFIX + kvKey(String(now).padStart(15, '0'), randomUUID()), { change, reason }, { ttlSeconds: TTL_SECONDS });
}

export async function parkComments(store: KeyValueStore, tasks: Array<z.infer<typeof CommentMessage>>, reason: string, now: number): Promise<void> {
  for (const comment of tasks) await store.set(PREFIX + kvKey(String(now).padStart(15, '0'), randomUUID()), { comment, reason }, { ttlSeconds: TTL_SECONDS });
}

/** A parked entry as the message that queues it, or why it cannot be read. */
function parkedMessage(value: { change?: unknown; comment?: unknown }): QueuedMessage | { error: string } {
  if (value.comment !== undefined) {
    const comment = CommentMessage.safeParse(value.comment);
    return comment.success ? { message: { comment: comment.data }, options: { serializeBy: commentKey(comment.data.repository) } } : { error: comment.error.message };
  }
  const change = Change.safeParse(value.change);
  if (!change.success) return { error: change.error.message };
  return { message: { change: change.data }, options: { serializeBy: serializationKey(change.data) } };
}

/**
 * Queues parked changes and comments, oldest first, up to 50 to a push request (Forge counts push requests per
 * lineage: 200 changes one by one were 200 of the tick's 1,000); stops at the first push refused. A
 * group the platform half took may be queued twice: staging a change twice delivers it once.
 */
export async function drainInbox(store: KeyValueStore, queue: ForwardQueue, log: Logger, max = 200): Promise<number> {
  // Forge's storage answers at most 20 keys a query, whatever the limit asked: one page was 20 a tick.
  const entries: Array<{ key: string; value: { change?: unknown; comment?: unknown } }> = [];
  let cursor: string | undefined;
  do {
    const page = await store.list<{ change?: unknown; comment?: unknown }>(PREFIX, { limit: max - entries.length, cursor });
    entries.push(...page.entries);
    cursor = page.cursor;
  } while (cursor && entries.length < max);
  let queued = 0;
  for (let i = 0; i < entries.length; i += QUEUE_BATCH) {
    const parked: Array<{ key: string; queued: QueuedMessage }> = [];
    for (const { key, value } of entries.slice(i, i + QUEUE_BATCH)) {
      const queued = parkedMessage(value);
      if (!('error' in queued)) parked.push({ key, queued });
      else {
        log.error({ key, error: queued.error }, 'discarded an unreadable parked change');
        await store.delete(key);
      }
    }
    try {
      await pushEach(queue, parked.map(({ queued }) => queued));
    } catch (error) {
      log.warn({ error: errorMessage(error), left: entries.length - i }, 'inbox drain paused: queue refused a push');
      break;
    }
    queued += parked.length;
    for (const { key } of parked) await store.delete(key);
  }
  if (queued) log.info({ queued }, 'queued parked changes');
  return queued;
}
