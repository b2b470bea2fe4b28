import { z } from 'zod';
import type { KeyValueStore } from '../ports';
import type { DeadLetter } from './outbox';

// A dead letter is kept under its id (`dead:<id>`): staging asks "is this one dead?" in one read, and
// the counts go by that prefix. Listed in that key order, the one that just failed could be on any
// page. So each letter also has a row, holding just what the list shows, under a key that sorts the
// newest first: a page of the list stays one query.

export const DeadLetterRow = z.object({
  id: z.string(),
  eventKey: z.string(),
  /** What names the repository: the event's repository, and when the event happened. */
  change: z.object({ repository: z.object({ uuid: z.string(), slug: z.string().optional() }), at: z.string() }),
  reason: z.string(),
  deadAt: z.number(),
  attempts: z.number().int(),
});
export type DeadLetterRow = z.infer<typeof DeadLetterRow>;

/** Beside `dead:` and not under it ('-' sorts before ':'), so the letters' counts do not see the rows. */
const ROWS = 'dead-newest:';
/** 15 digits hold any time in milliseconds until the year 33658: subtracted from this, later sorts first. */
const LATEST = 10 ** 15 - 1;
const rowKey = (deadAt: number, id: string) => `${ROWS}${String(LATEST - deadAt).padStart(15, '0')}:${id}`;

/**
 * Letters kept before rows existed (an installation upgraded in place) get theirs once, by the first
 * listing that reaches the end of the rows. The mark of that is beside the rows, not among them: a
 * mark sorting after the last row made a page the rows exactly filled answer a cursor to a next page
 * holding the mark alone (the settings page's Show more brought an empty page). The page with no
 * cursor reads it, so only the last page of a listing pays that one read.
 */
const INDEXED = 'dead-newest-indexed';
/** Where the version before kept the mark, after every row: it goes when the new mark is first written. */
const INDEXED_AMONG_ROWS = `${ROWS}indexed`;
const IndexedMark = z.object({ since: z.number(), complete: z.boolean(), cursor: z.string().optional() });
type IndexedMark = z.infer<typeof IndexedMark>;
/**
 * Forge lets an invocation run 15 minutes: one the older version started may still bury a letter the
 * old way after the first listing, so letters are indexed again on listings this soon after the first.
 */
const OLD_WRITERS_MS = 16 * 60_000;
/** Well inside the 25 s a resolver has; the next listing goes on where this one stopped. */
const INDEXING_BUDGET_MS = 8_000;

/** The letter's own keeping, 90 days from its burial; its row goes a minute before it, never after. */
export function rowTtlSeconds(letterTtlSeconds: number, deadAt: number, now: number): number {
  return letterTtlSeconds - Math.ceil((now - deadAt) / 1000) - 60;
}

export function deadLetterRows(store: KeyValueStore, letterTtlSeconds: number) {
  const put = async (letter: RowSource, now: number) => {
    const ttlSeconds = rowTtlSeconds(letterTtlSeconds, letter.deadAt, now);
    if (ttlSeconds > 0) await store.set(rowKey(letter.deadAt, letter.entry.id), rowOf(letter), { ttlSeconds });
  };

  /** Rows for the letters kept under `dead:`, a page at a time from where the last indexing stopped. */
  const index = async (mark: IndexedMark | undefined, now: () => number) => {
    const started = now();
    const since = mark?.since ?? started;
    let cursor = mark && !mark.complete ? mark.cursor : undefined;
    if (!mark) await store.delete(INDEXED_AMONG_ROWS);
    do {
      const page = await store.list<unknown>('dead:', { limit: 20, ...(cursor ? { cursor } : {}) });
      for (const { value } of page.entries) {
        const letter = DeadLetterRowSource.safeParse(value);
        if (letter.success) await put(letter.data, now());
      }
      cursor = page.cursor;
      await store.set(INDEXED, { since, complete: !cursor, ...(cursor ? { cursor } : {}) } satisfies IndexedMark);
    } while (cursor && now() - started < INDEXING_BUDGET_MS);
  };

  /**
   * The mark, or the one an earlier version kept among the rows, moved beside them: an installation whose
   * letters all had rows already would otherwise write every row again on its first listing.
   */
  const readMark = async (): Promise<IndexedMark | undefined> => {
    const mark = IndexedMark.safeParse(await store.get(INDEXED)).data;
    if (mark) return mark;
    const earlier = IndexedMark.safeParse(await store.get(INDEXED_AMONG_ROWS)).data;
    if (!earlier) return undefined;
    await store.set(INDEXED, earlier);
    await store.delete(INDEXED_AMONG_ROWS);
    return earlier;
  };

  return {
    /** Written as the letter is (its burial's time): its keeping counts from now. */
    put: (letter: DeadLetter) => put(letter, letter.deadAt),
    remove: (row: Pick<DeadLetterRow, 'deadAt' | 'id'>) => store.delete(rowKey(row.deadAt, row.id)),
    /** A page of rows, the newest first. */
    async list(options: { cursor?: string | undefined; limit: number }, now: () => number): Promise<{ rows: DeadLetterRow[]; cursor?: string }> {
      const read = () => store.list<unknown>(ROWS, { limit: options.limit, ...(options.cursor ? { cursor: options.cursor } : {}) });
      let page = await read();
      if (!page.cursor) {
        const mark = await readMark();
        if (!mark?.complete || now() - mark.since < OLD_WRITERS_MS) {
          await index(mark, now);
          // Letters kept the old way are older than any row so far: their rows sort after this page's start.
          page = await read();
        }
      }
      const rows = page.entries.flatMap(({ value }) => {
        const row = DeadLetterRow.safeParse(value).data;
        return row ? [row] : [];
      });
      return { rows: await oneRowPerLetter(rows), ...(page.cursor ? { cursor: page.cursor } : {}) };
    },
  };

  /**
   * Two burials of one entry at once (no lease keeps two senders apart) can each leave a row: one reads
   * the letter before the other has written it, or removes the other's row before it is written, and
   * the letter keeps only the last write's time. Reading every row's letter would double a page's
   * reads; only an id seen twice costs one, and its rows that are not its letter's go for good.
   */
  async function oneRowPerLetter(rows: DeadLetterRow[]): Promise<DeadLetterRow[]> {
    const seen = new Map<string, number>();
    for (const row of rows) seen.set(row.id, (seen.get(row.id) ?? 0) + 1);
    const kept = new Map<string, DeadLetterRow>();
    for (const [id, count] of seen) {
      if (count < 2) continue;
      const letter = RowTime.safeParse(await store.get(`dead:${id}`)).data;
      const twins = rows.filter((row) => row.id === id);
      // With its letter gone (replayed meanwhile) one row stays listed, as any orphan does: its replay takes it away.
      const keep = twins.find((row) => row.deadAt === letter?.deadAt) ?? twins[0]!;
      kept.set(id, keep);
      for (const row of twins) if (row !== keep) await store.delete(rowKey(row.deadAt, row.id));
    }
    return rows.filter((row) => (kept.get(row.id) ?? row) === row);
  }
}

/** All the listing needs of a letter to tell its row from a stale one. */
const RowTime = z.object({ deadAt: z.number() });

/** What a row needs of a letter kept before rows existed: parsed loosely, as its entry's shape may be older. */
const DeadLetterRowSource = z.object({
  entry: z.object({ id: z.string(), eventKey: z.string(), attempts: z.number().int(), change: DeadLetterRow.shape.change }),
  reason: z.string(),
  deadAt: z.number(),
});
type RowSource = z.infer<typeof DeadLetterRowSource>;

function rowOf(letter: RowSource): DeadLetterRow {
  const { id, eventKey, attempts, change } = letter.entry;
  return { id, eventKey, change: { repository: change.repository, at: change.at }, reason: letter.reason, deadAt: letter.deadAt, attempts };
}
