import { randomUUID } from 'node:crypto';
import { Change } from '../change/change';
import { errorMessage } from '../errors';
import { kvKey } from '../keys';
import type { KeyValueStore, Logger } from '../ports';
import { pushEach, QUEUE_BATCH, serializationKey, type ForwardQueue } from './queue';

// When a trigger cannot queue a change (Forge allows 500 pushes a minute per installation), the change
// is parked here in one cheap write instead of being lost, and the five-minute tick queues it later.

const PREFIX = 'inbox:';
const TTL_SECONDS = 7 * 24 * 3600;

export async function parkChange(store: KeyValueStore, change: Change, reason: string, now: number): Promise<void> {
  await store.set(PREFIX + kvKey(String(now).padStart(15, '0'), randomUUID()), { change, reason }, { ttlSeconds: TTL_SECONDS });
}

/**
 * Queues parked changes, oldest first, up to 50 to a push request (Forge counts push requests per
 * lineage: 200 changes one by one were 200 of the tick's 1,000); stops at the first push refused. A
 * group the platform half took may be queued twice: staging a change twice delivers it once.
 */
export async function drainInbox(store: KeyValueStore, queue: ForwardQueue, log: Logger, max = 200): Promise<number> {
  // Forge's storage answers at most 20 keys a query, whatever the limit asked: one page was 20 a tick.
  const entries: Array<{ key: string; value: { change: unknown } }> = [];
  let cursor: string | undefined;
  do {
    const page = await store.list<{ change: unknown }>(PREFIX, { limit: max - entries.length, cursor });
    entries.push(...page.entries);
    cursor = page.cursor;
  } while (cursor && entries.length < max);
  let queued = 0;
  for (let i = 0; i < entries.length; i += QUEUE_BATCH) {
    const parked: Array<{ key: string; change: Change }> = [];
    for (const { key, value } of entries.slice(i, i + QUEUE_BATCH)) {
      const change = Change.safeParse(value.change);
      if (change.success) parked.push({ key, change: change.data });
      else {
        log.error({ key, error: change.error.message }, 'discarded an unreadable parked change');
        await store.delete(key);
      }
    }
    try {
      await pushEach(queue, parked.map(({ change }) => ({ message: { change }, options: { serializeBy: serializationKey(change) } })));
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
