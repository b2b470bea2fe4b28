import { z } from 'zod';
import { kvKey } from '../../core/keys';
import type { KeyValueStore } from '../../core/ports';
import { keptRecord } from '../state/kept-record';
import { passesDone, type Edition } from './first-passes';

// `backfill --days N` past the first pass's window reads every selected repository again, which on a
// large instance takes as long as the first pass did; `status` shows it as a backfill of its own. A
// repository's re-read is done once it has had a good poll since the re-read began: a poll that fails
// or is stopped leaves its widened cursor as it was, so any later pass (the next backfill, the bridge)
// reads on from there.

const KEY = kvKey('bridge', 'reread');

const RereadRecord = z.object({
  days: z.number(),
  startedAt: z.number(),
  finishedAt: z.number().optional(),
  /** The backfill that ran it ended (stopped, or a repository failed) before it was done. */
  endedAt: z.number().optional(),
});
type RereadRecord = z.infer<typeof RereadRecord>;

const { read: readRecord } = keptRecord(KEY, RereadRecord);

/**
 * Before `backfill --days`: false when an unfinished re-read at least as wide is on record, whose
 * cursors are still widened, so that it resumes rather than reading again what it already read.
 */
export async function beginReread(store: KeyValueStore, days: number, now: number): Promise<boolean> {
  const record = await readRecord(store);
  if (record && record.finishedAt === undefined && record.days >= days) {
    await store.set(KEY, { days: record.days, startedAt: record.startedAt } satisfies RereadRecord);
    return false;
  }
  await store.set(KEY, { days, startedAt: now } satisfies RereadRecord);
  return true;
}

/** After the backfill's pass: a re-read not done by then waits for the next one. */
export async function rereadEnded(store: KeyValueStore, now: number): Promise<void> {
  const record = await readRecord(store);
  if (record && record.finishedAt === undefined) await store.set(KEY, { ...record, endedAt: now } satisfies RereadRecord);
}

/** At any pass's end (the bridge's too): the re-read is finished once every listed repository has had a good poll since it began. */
export async function rereadPassEnded(store: KeyValueStore, edition: Edition, repositories: number, now: number): Promise<void> {
  const record = await readRecord(store);
  if (!record || record.finishedAt !== undefined || (await passesDone(store, edition, record.startedAt)) < repositories) return;
  const { endedAt: _ended, ...rest } = record;
  await store.set(KEY, { ...rest, finishedAt: now } satisfies RereadRecord);
}

/** `status --json`'s `backfill.reread`: null when no `backfill --days` has widened the window. */
export const RereadStatus = z
  .object({
    /** `unfinished`: the backfill that ran it ended before it was done; `backfill --days <days>` again resumes it. */
    state: z.enum(['running', 'unfinished', 'done']),
    days: z.number(),
    repositoriesDone: z.number(),
    repositories: z.number(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
  })
  .nullable();
export type RereadStatus = z.infer<typeof RereadStatus>;

export async function readReread(store: KeyValueStore, edition: Edition, repositories: number): Promise<RereadStatus> {
  const record = await readRecord(store);
  if (!record) return null;
  const iso = (ms?: number) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    state: record.finishedAt !== undefined ? 'done' : record.endedAt !== undefined ? 'unfinished' : 'running',
    days: record.days,
    repositoriesDone: Math.min(repositories, await passesDone(store, edition, record.startedAt)),
    repositories,
    startedAt: iso(record.startedAt)!,
    finishedAt: iso(record.finishedAt),
    endedAt: iso(record.endedAt),
  };
}
