import { refsBaseline } from '../../src/core/backfill/refs-baseline';
import { saveBackfill, type BackfillRecord } from '../../src/core/backfill/state';
import { MemoryStore } from '../../src/sandbox/memory-store';

// Whether the ref state can be trusted to hold every branch and tag a repository had: the
// reconciliation delivers a ref it lacks as new only then.

const record = (fields: Partial<BackfillRecord>): BackfillRecord => ({
  repository: '{r}', state: 'running', windowDays: 30, since: '2026-10-27T00:00:00Z', requestedAt: 0, updatedAt: 0, done: 0, requests: 0, skipped: [], skippedCount: 0, ...fields,
} as BackfillRecord);

it.each([
  ['no backfill', undefined, 'unknown'],
  ['a backfill not yet at the refs', record({ cursor: { phase: 'activity' } }), 'pending'],
  ['a backfill reading the refs', record({ cursor: { phase: 'refs', next: 'x' } }), 'pending'],
  ['a backfill past the refs', record({ cursor: { phase: 'statuses' } }), 'listed'],
  ['a finished backfill', record({ state: 'done' }), 'listed'],
  ['a finished backfill that left refs out', record({ state: 'done', refsIncomplete: true }), 'unknown'],
  ['a failed backfill', record({ state: 'failed', cursor: { phase: 'commits' } }), 'unknown'],
] as const)('%s', async (_, stored, expected) => {
  const store = new MemoryStore();
  if (stored) await saveBackfill(store, stored);
  expect(await refsBaseline(store, '{r}')).toBe(expected);
});
