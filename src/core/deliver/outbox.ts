import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { Change, Origin } from '../change/change';
import { kvKey } from '../keys';
import type { KeyValueStore } from '../ports';
import { deadLetterRows } from './dead-letter-rows';

// The outbox holds every delivery from before its first attempt until it is delivered (then the id
// moves to the ledger) or dead (then it moves to the dead letters, with its reason, replayable).
// Bodies are kept deflated: a Forge value may not exceed 240 KiB and a webhook may reach 256 KB.

export const OutboxEntry = z.object({
  id: z.string(),
  eventKey: z.string(),
  entity: z.string(),
  version: z.string(),
  reviewer: z.object({ uuid: z.string().optional(), accountId: z.string().optional(), status: z.string(), at: z.string() }).optional(),
  origin: Origin,
  change: Change,
  /** The exact body bytes to sign and send, deflated and base64-encoded; absent until enriched. */
  body: z.string().optional(),
  attempts: z.number().int(),
  enrichAttempts: z.number().int().default(0),
  createdAt: z.number(),
  /** When the next attempt is planned; the sweep re-queues entries long past it. */
  nextAttemptAt: z.number(),
  /** Set when PanDev's Retry-After asks for longer than one queue delay: no attempt before it. */
  notBefore: z.number().optional(),
  lastError: z.string().optional(),
  lastStatus: z.number().optional(),
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;

export const DeadLetter = z.object({ entry: OutboxEntry, reason: z.string(), deadAt: z.number() });
export type DeadLetter = z.infer<typeof DeadLetter>;

export const DeliveredRecord = z.object({
  at: z.number(),
  eventKey: z.string(),
  repository: z.string(),
  attempts: z.number(),
  /** The entry's createdAt: tells a push delivered before its ref's tip was recorded from an earlier one (stage.ts). Absent in older records. */
  stagedAt: z.number().optional(),
});
export type DeliveredRecord = z.infer<typeof DeliveredRecord>;

export const DroppedRecord = z.object({ at: z.number(), reason: z.string(), detail: z.string(), eventKey: z.string().optional(), repository: z.string().optional() });
export type DroppedRecord = z.infer<typeof DroppedRecord>;

/** Long enough to cover a backfill window and its replays; PanDev deduplicates beyond it anyway. */
export const LEDGER_TTL_SECONDS = 35 * 24 * 3600;
export const DEAD_TTL_SECONDS = 90 * 24 * 3600;
const DROPPED_TTL_SECONDS = 7 * 24 * 3600;

export const prefixes = { outbox: 'outbox:', delivered: 'delivered:', dead: 'dead:', dropped: 'dropped:' } as const;

export function encodeBody(json: string): string {
  return deflateRawSync(Buffer.from(json, 'utf8')).toString('base64');
}

export function decodeBody(encoded: string): string {
  return inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8');
}

export function outboxStore(store: KeyValueStore) {
  const rows = deadLetterRows(store, DEAD_TTL_SECONDS);
  // What staging asks of an ending: when its entry was staged, as far as the record tells (none in older ones).
  const stagedAt = z.object({ stagedAt: z.number() }).or(z.object({ entry: z.object({ createdAt: z.number() }) }).transform(({ entry }) => ({ stagedAt: entry.createdAt })));
  const ending = async (key: string): Promise<{ stagedAt?: number } | undefined> => {
    const value = await store.get(key);
    if (value === undefined) return undefined;
    const read = stagedAt.safeParse(value);
    return read.success ? read.data : {};
  };
  const getDead = async (id: string) => {
    const value = await store.get(prefixes.dead + id);
    return value === undefined ? undefined : DeadLetter.parse(value);
  };
  return {
    get: async (id: string) => {
      const value = await store.get(prefixes.outbox + id);
      return value === undefined ? undefined : OutboxEntry.parse(value);
    },
    put: (entry: OutboxEntry) => store.set(prefixes.outbox + entry.id, entry),
    remove: (id: string) => store.delete(prefixes.outbox + id),
    /** `idPrefix`: only the entries whose id begins with it (the sweep's walk of a large outbox). */
    list: (cursor?: string, limit = 100, idPrefix = '') => store.list<OutboxEntry>(prefixes.outbox + idPrefix, { cursor, limit }),

    isDelivered: async (id: string) => (await store.get(prefixes.delivered + id)) !== undefined,
    /** The ledger's record of the id, if it holds one, read for when its entry was staged: one storage read, as isDelivered. */
    delivery: (id: string) => ending(prefixes.delivered + id),
    markDelivered: (id: string, record: DeliveredRecord) => store.set(prefixes.delivered + id, record, { ttlSeconds: LEDGER_TTL_SECONDS }),
    listDelivered: (cursor?: string, limit = 100) => store.list<DeliveredRecord>(prefixes.delivered, { cursor, limit }),

    getDead,
    isDead: async (id: string) => (await store.get(prefixes.dead + id)) !== undefined,
    /** The dead letter of the id, if there is one, read for when its entry was staged: one storage read, as isDead. */
    burial: (id: string) => ending(prefixes.dead + id),
    /**
     * The letter before its row: a burial stopped between the two leaves the entry in the outbox, whose
     * next burial writes both. A letter buried again (its entry left behind by a burial stopped before
     * the outbox let go of it) takes its earlier row away, or the list would show it twice. Two burials
     * at once can still each leave a row (nothing here is one transaction): the listing keeps the letter's.
     */
    putDead: async (letter: DeadLetter) => {
      const earlier = await getDead(letter.entry.id);
      await store.set(prefixes.dead + letter.entry.id, letter, { ttlSeconds: DEAD_TTL_SECONDS });
      if (earlier && earlier.deadAt !== letter.deadAt) await rows.remove({ deadAt: earlier.deadAt, id: earlier.entry.id });
      await rows.put(letter);
    },
    /** Its row first: a removal stopped between the two leaves a letter unlisted, never a row with nothing to replay. */
    removeDead: async (letter: DeadLetter) => {
      await rows.remove({ deadAt: letter.deadAt, id: letter.entry.id });
      await store.delete(prefixes.dead + letter.entry.id);
    },
    /** The letters in key (id) order: for counting and for tests; the admin's list is `listDeadNewestFirst`. */
    listDead: (cursor?: string, limit = 100) => store.list<DeadLetter>(prefixes.dead, { cursor, limit }),
    listDeadNewestFirst: rows.list,
    /** A row whose letter is gone (a listing indexed it as a replay took it away): nothing to replay. */
    removeDeadRow: rows.remove,

    /** One record per drop, so concurrent consumers never lose a count to a read-modify-write race. */
    recordDrop: (record: DroppedRecord, discriminator: string) =>
      store.set(prefixes.dropped + kvKey(String(record.at).padStart(15, '0'), discriminator), record, { ttlSeconds: DROPPED_TTL_SECONDS }),
    listDropped: (cursor?: string, limit = 100) => store.list<DroppedRecord>(prefixes.dropped, { cursor, limit }),
  };
}
export type OutboxStore = ReturnType<typeof outboxStore>;
