import { z } from 'zod';
import type { EntryOutcome } from '../pipeline/deliver-entries';
import type { KeyValueStore } from '../ports';
import { outboxStore } from './outbox';

// Whether PanDev is failing deliveries (unreachable, 5xx, 429, timeouts), as the settings page tells
// it: one small record, written where deliveries fail and cleared where one is taken. Reading the
// whole outbox on each page load (as the bridge's `status` does in SQLite) costs too much on Forge.
// Left alone, the retries only show as a count while the oldest deliveries age into dead letters.

export const FailingRecord = z.object({
  /** The first failure since PanDev last took a delivery. */
  since: z.number(),
  /** The latest failure: a record nothing has refreshed for a while is history (see `currentFailure`). */
  lastAt: z.number(),
  /** PanDev's answer (or the network's) to the latest failed attempt. */
  lastError: z.string(),
});
export type FailingRecord = z.infer<typeof FailingRecord>;

const KEY = 'deliveries:failing';

/** Past a PanDev restart or deploy, short of the first dead letters (about 1 h 45 min with the default retries). */
export const FAILING_ATTENTION_MS = 30 * 60_000;
/**
 * Deliveries that wait are tried again at least every 15 minutes (the longest queue delay, then the
 * five-minute sweep): a record not refreshed for an hour means none waits any more (taken, or dead letters).
 */
const CURRENT_MS = 60 * 60_000;

/**
 * A delivery taken looks for a record to clear at most this often per noter: the delivered path pays
 * no storage call of its own. A record another instance writes meanwhile outlives PanDev's recovery by
 * this long at most.
 */
const CLEAR_CHECK_MS = 60_000;

/**
 * What a batch of deliveries said about PanDev: `taken` wins, since PanDev answering at all is what
 * matters. One noter per installation: a warm Forge instance serves several through one store object,
 * and a clear in one must not hold back another's (its warning would outlive PanDev's recovery).
 */
export function deliveryAnswerNoter(): (store: KeyValueStore, now: number, outcomes: Record<string, EntryOutcome>) => Promise<void> {
  let clearedAt = -Infinity;
  return async (store, now, outcomes) => {
    const ids = Object.keys(outcomes);
    if (ids.some((id) => outcomes[id] === 'delivered')) {
      if (now - clearedAt < CLEAR_CHECK_MS) return;
      if ((await store.get(KEY)) !== undefined) await store.delete(KEY);
      clearedAt = now;
      return;
    }
    const outbox = outboxStore(store);
    // An entry waits on PanDev once it has been attempted: one waiting on Bitbucket (its enrichment, the
    // hour's budget) has a lastError too, but no attempt. A few reads find one in any batch.
    for (const id of ids.filter((id) => outcomes[id] === 'waiting').slice(0, 3)) {
      const entry = await outbox.get(id);
      if (!entry || entry.attempts < 1 || !entry.lastError) continue;
      const known = FailingRecord.safeParse(await store.get(KEY));
      await store.set(KEY, { since: known.success ? known.data.since : now, lastAt: now, lastError: entry.lastError } satisfies FailingRecord);
      clearedAt = -Infinity;
      return;
    }
  };
}

/** The record while PanDev has failed every delivery for over half an hour and some still wait; undefined otherwise. */
export async function currentFailure(store: KeyValueStore, now: number): Promise<FailingRecord | undefined> {
  const record = FailingRecord.safeParse(await store.get(KEY));
  if (!record.success || now - record.data.since < FAILING_ATTENTION_MS || now - record.data.lastAt > CURRENT_MS) return undefined;
  return record.data;
}
