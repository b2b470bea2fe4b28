import { randomUUID } from 'node:crypto';
import { Change } from '../change/change';
import { errorMessage } from '../errors';
import { kvKey } from '../keys';
import type { KeyValueStore, Logger } from '../ports';
import { serializationKey, type ForwardQueue } from './queue';

// When a trigger cannot queue a change (Forge allows 500 pushes a minute per installation), the change
// is parked here in one cheap write instead of being lost, and the five-minute tick queues it later.

const PREFIX = 'inbox:';
const TTL_SECONDS = 7 * 24 * 3600;

export async function parkChange(store: KeyValueStore, change: Change, reason: string, now: number): Promise<void> {
  await store.set(PREFIX + kvKey(String(now).padStart(15, '0'), randomUUID()), { change, reason }, { ttlSeconds: TTL_SECONDS });
}

/** Queues parked changes, oldest first; stops at the first push the platform refuses. */
export async function drainInbox(store: KeyValueStore, queue: ForwardQueue, log: Logger, max = 200): Promise<number> {
  const page = await store.list<{ change: unknown }>(PREFIX, { limit: max });
  let queued = 0;
  for (const { key, value } of page.entries) {
    const change = Change.safeParse(value.change);
    if (change.success) {
      try {
        await queue.push([{ change: change.data }], { serializeBy: serializationKey(change.data) });
      } catch (error) {
        log.warn({ error: errorMessage(error), left: page.entries.length - queued }, 'inbox drain paused: queue refused a push');
        break;
      }
      queued++;
    } else {
      log.error({ key, error: change.error.message }, 'discarded an unreadable parked change');
    }
    await store.delete(key);
  }
  if (queued) log.info({ queued }, 'queued parked changes');
  return queued;
}
