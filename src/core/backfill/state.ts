import { z } from 'zod';
import { keyPart, kvKey } from '../keys';
import type { KeyValueStore } from '../ports';
import { dropCarried } from './carried';

// The control side of the backfill: which repositories are to be replayed, how far each has got, and
// how to pause (deselected) or resume (selected again) one. The jobs that do the work read and advance
// these records; the settings page only reads them.

/** Something the backfill left out after trying it again and again (see retries.ts), and why. */
export const Skip = z.object({ phase: z.string(), what: z.string(), reason: z.string() });
export type Skip = z.infer<typeof Skip>;

/**
 * No chain of pieces carries the record (see chains.ts): it waits for a chain that has finished its
 * own record, or for the five-minute tick, to start one for it; not before `resumeAt` when it must wait.
 */
export const Parked = z.object({ at: z.number(), reason: z.string(), resumeAt: z.number().optional() });
export type Parked = z.infer<typeof Parked>;

export const BackfillRecord = z.object({
  repository: z.string(),
  /** Its name when the backfill was asked for: one deleted since is still named once the list drops it. */
  name: z.string().optional(),
  /** `gone`: Bitbucket no longer has the repository (deleted), so it was skipped; nothing for an admin to fix. */
  state: z.enum(['queued', 'running', 'done', 'cancelled', 'failed', 'gone']),
  windowDays: z.number().int().min(1).max(365),
  /** Everything updated since this instant is replayed (fixed when first requested). */
  since: z.string(),
  /**
   * A wider window asked for after a backfill had finished (its `since`): branches that backfill or a
   * push delivered keep their tips, and what lies on them between the two edges is still to send.
   */
  widenedFrom: z.string().optional(),
  requestedAt: z.number(),
  /**
   * Names this run's working data (backfill/store.ts). A new record gets a new one, so it never reads
   * an earlier run's pages; a record from before runs were named gets one that has no data, and starts over.
   */
  run: z.string().default('unnamed'),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  updatedAt: z.number(),
  /** Where the job resumes: the feed it is reading and that feed's next page. */
  cursor: z.object({ phase: z.string(), next: z.string().optional(), page: z.number().int().optional() }).optional(),
  /** When the pull-request list began to be read (see phases/activity.ts). */
  listedAt: z.number().optional(),
  /** Pull requests replayed and, once the list is read, how many the window holds (the page says so). */
  done: z.number().int().default(0),
  total: z.number().int().optional(),
  /** Bitbucket requests this backfill has made: its own pace, for the time left. */
  requests: z.number().int().default(0),
  /** Seconds the job expects to need at the current request budget, when it can tell. */
  etaSeconds: z.number().optional(),
  /** The requests the job expects the rest to take (eta.ts), as the other repositories' time left counts it (carried.ts). */
  requestsLeft: z.number().optional(),
  error: z.string().optional(),
  /** Tries that failed in a row at the cursor's place (429s aside), and the last one's error. */
  retries: z.object({ at: z.string(), count: z.number().int(), tries: z.number().int(), error: z.string() }).optional(),
  /**
   * The chain of queued pieces that advances this record. Each piece queues the next with it; one
   * started later (a cancelled backfill resumed, the watchdog's) takes over, and the earlier one's
   * next piece stops, so a record never has two chains spending its budget.
   */
  chain: z.string().optional(),
  /** Places of the current phase left out one after the other (retries.ts). */
  leftOutInARow: z.number().int().default(0),
  /** What was left out, the most recent few; `skippedCount` counts them all. */
  skipped: z.array(Skip).default([]),
  skippedCount: z.number().int().default(0),
  /** Some branches or tags were left out: the ref state does not hold every one the repository had. */
  refsIncomplete: z.boolean().optional(),
  parked: Parked.optional(),
});
export type BackfillRecord = z.infer<typeof BackfillRecord>;

const key = (repository: string) => kvKey('backfill', repository);

/** How long the status names a repository deleted under its backfill; its record is let go after. */
export const GONE_SHOWN_MS = 7 * 24 * 3600_000;

/** A run's name: when it began, in base 36 (one repository never begins two in a millisecond). */
export function newRun(now: number): string {
  return now.toString(36);
}

/** A chain's name: when it began, and which of the chains begun together (a chain moves between records). */
export function newChain(now: number, index = 0): string {
  return `${now.toString(36)}-${index}`;
}

/** Waiting for a chain; its current name stays, so only a chain still holding it may take it back unasked. */
export function park(record: BackfillRecord, reason: string, now: number, resumeAt?: number): BackfillRecord {
  return { ...record, parked: { at: record.parked?.at ?? now, reason, ...(resumeAt !== undefined && resumeAt > now ? { resumeAt } : {}) } };
}

/** Taken up by a chain of pieces. */
export function unparked(record: BackfillRecord): BackfillRecord {
  const { parked: _carried, ...rest } = record;
  return rest;
}

export const WAITING_FOR_A_CHAIN = 'waiting for a chain of pieces';

export async function getBackfill(store: KeyValueStore, repository: string): Promise<BackfillRecord | undefined> {
  const value = await store.get(key(repository));
  return value === undefined ? undefined : BackfillRecord.parse(value);
}

export async function saveBackfill(store: KeyValueStore, record: BackfillRecord): Promise<void> {
  await store.set(key(record.repository), BackfillRecord.parse(record));
}

/**
 * Asks for a backfill of each repository. A finished one over the same window is left alone; a
 * cancelled one resumes where it stopped. Returns the records that now need a job: parked, under a
 * chain name no piece carries (so a piece of an earlier chain still in flight stops), until chains.ts
 * starts chains for them.
 */
export async function requestBackfill(
  store: KeyValueStore,
  repositories: Array<{ uuid: string; name?: string }>,
  options: { windowDays: number; now: number; /** The records as a listing just read them: no read each. */ listed?: Map<string, BackfillRecord> },
): Promise<BackfillRecord[]> {
  const started: BackfillRecord[] = [];
  for (const { uuid: repository, name } of repositories) {
    const existing = options.listed ? options.listed.get(keyPart(repository)) : await getBackfill(store, repository);
    if (!needsBackfill(existing, options.windowDays)) continue;
    const resume = existing?.state === 'cancelled' && existing.windowDays === options.windowDays;
    const waiting = { at: options.now, reason: WAITING_FOR_A_CHAIN };
    // Its time left was said before it stopped, maybe days ago (its next piece says it again).
    const record: BackfillRecord = resume
      ? { ...existing, ...(name !== undefined ? { name } : {}), etaSeconds: undefined, state: 'queued', chain: newChain(options.now), updatedAt: options.now, parked: waiting }
      : {
          repository,
          ...(name !== undefined ? { name } : {}),
          state: 'queued',
          windowDays: options.windowDays,
          since: new Date(options.now - options.windowDays * 86_400_000).toISOString(),
          // The run before reached down to its own `since` (a widening before it included).
          ...(existing?.state === 'done' ? { widenedFrom: existing.since } : {}),
          requestedAt: options.now,
          run: newRun(options.now),
          chain: newChain(options.now),
          updatedAt: options.now,
          done: 0,
          requests: 0,
          leftOutInARow: 0,
          skipped: [],
          skippedCount: 0,
          parked: waiting,
        };
    await saveBackfill(store, record);
    started.push(record);
  }
  return started;
}

/**
 * Stops the backfill of deselected repositories; the cursor stays so selecting again resumes it. A
 * failed one is cancelled too: deselecting a repository the app may not read is how an admin answers
 * the status's "failed", which would otherwise ask for attention for ever.
 */
export async function cancelBackfill(store: KeyValueStore, repositories: string[], now: number): Promise<void> {
  const cancelled: string[] = [];
  for (const repository of repositories) {
    const existing = await getBackfill(store, repository);
    if (existing && (existing.state === 'queued' || existing.state === 'running' || existing.state === 'failed')) {
      await saveBackfill(store, { ...existing, state: 'cancelled', updatedAt: now });
      cancelled.push(repository);
    }
  }
  // Its pieces stop taking turns now: the others' time left no longer counts it (carried.ts).
  if (cancelled.length) await dropCarried(store, cancelled);
}

/** Under way, or finished over the same window or a wider one: asked again, it is left alone. */
export function needsBackfill(existing: BackfillRecord | undefined, windowDays: number): boolean {
  if (existing?.state === 'running' || existing?.state === 'queued') return false;
  return !(existing?.state === 'done' && existing.windowDays >= windowDays);
}

export async function listBackfills(store: KeyValueStore): Promise<BackfillRecord[]> {
  const records: BackfillRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list<unknown>('backfill:', { cursor, limit: 100 });
    for (const { value } of page.entries) records.push(BackfillRecord.parse(value));
    cursor = page.cursor;
  } while (cursor);
  return records;
}
