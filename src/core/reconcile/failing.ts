import { z } from 'zod';
import { BitbucketError, errorMessage } from '../errors';
import type { KeyValueStore } from '../ports';

// Repositories whose reconciliation keeps failing (Bitbucket answering 403, 404 or 5xx for one of
// them), as the settings page tells it: one small record, written where a pass fails and cleared
// where a pass succeeds after one failed. The status reads this key, never each repository's state.

const Entry = z.object({
  /** The first failed pass since the last one that succeeded. */
  since: z.number(),
  lastAt: z.number(),
  /** Failed passes in a row. */
  failures: z.number(),
  kind: z.string().optional(),
  status: z.number().optional(),
  message: z.string(),
});
export type FailingRepository = z.infer<typeof Entry> & { repository: string };

const Record_ = z.object({
  repositories: z.record(z.string(), Entry),
  /** When a repository was left out for lack of room: the count is then a floor. */
  overflowAt: z.number().optional(),
});
export type FailingRecord = z.infer<typeof Record_>;

const KEY = 'reconcile:failing';
/** Repositories kept by name: the page names a few, and counts the rest. */
const KEPT = 20;
/** One failed pass is passing trouble; the next pass reads the same period again. */
const SHOWN_AFTER_FAILURES = 2;

/** The record as stored; `failingRepositories` says what of it the status shows. */
export async function loadReconcileFailing(store: KeyValueStore): Promise<FailingRecord> {
  const parsed = Record_.safeParse(await store.get(KEY));
  return parsed.success ? parsed.data : { repositories: {} };
}

/** A pass of `repository` failed. */
export async function noteReconcileFailure(store: KeyValueStore, repository: string, now: number, error: unknown): Promise<void> {
  const record = await loadReconcileFailing(store);
  const known = record.repositories[repository];
  const answer = error instanceof BitbucketError ? { kind: error.kind, ...(error.status !== undefined ? { status: error.status } : {}) } : {};
  record.repositories[repository] = { since: known?.since ?? now, lastAt: now, failures: (known?.failures ?? 0) + 1, ...answer, message: errorMessage(error).slice(0, 300) };
  const names = Object.keys(record.repositories);
  if (names.length > KEPT) {
    const oldest = names.reduce((a, b) => (record.repositories[a]!.lastAt <= record.repositories[b]!.lastAt ? a : b));
    delete record.repositories[oldest];
    record.overflowAt = now;
  }
  await store.set(KEY, record);
}

/** A pass of `repository` succeeded (or found it deleted) after one failed: called only then, so a healthy pass costs nothing. */
export async function noteReconcileRecovered(store: KeyValueStore, repository: string): Promise<void> {
  const record = await loadReconcileFailing(store);
  if (!record.repositories[repository]) return;
  delete record.repositories[repository];
  await store.set(KEY, record);
}

/**
 * Repositories whose last passes failed, newest first, from those `selected` still: one not passed for
 * `currentMs` (deselected, or its passes deferred) is history.
 */
export function failingRepositories(record: FailingRecord, now: number, currentMs: number, selected: (repository: string) => boolean): { repositories: FailingRepository[]; more: boolean } {
  const repositories = Object.entries(record.repositories)
    .map(([repository, entry]) => ({ repository, ...entry }))
    .filter((r) => r.failures >= SHOWN_AFTER_FAILURES && now - r.lastAt <= currentMs && selected(r.repository))
    .sort((a, b) => b.lastAt - a.lastAt);
  return { repositories, more: record.overflowAt !== undefined && now - record.overflowAt <= currentMs };
}
