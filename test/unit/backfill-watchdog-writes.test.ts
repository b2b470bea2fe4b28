import { saveBackfill, listBackfills, type BackfillRecord } from '../../src/core/backfill/state';
import { restartStalledBackfills, STALLED_AFTER_MS } from '../../src/core/backfill/watchdog';
import type { Logger } from '../../src/core/ports';
import { MemoryStore } from '../../src/sandbox/memory-store';

// A still backfill in a workspace of thousands of repositories: nearly all records are parked, waiting
// for a chain, and a few were carried by chains that died. Restarting it writes those few, not every
// record: Forge storage takes about 4,000 writes a minute per installation.

const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as unknown as Logger;
const now = Date.parse('2026-11-29T12:00:00Z');
const record = (i: number, carried: boolean): BackfillRecord => ({
  repository: `{repo-${i}}`, state: carried ? 'running' : 'queued', windowDays: 30, since: '2026-10-30T12:00:00Z', requestedAt: now - 3 * 3600_000, run: 'r',
  updatedAt: now - STALLED_AFTER_MS - 60_000, done: 0, requests: 0, leftOutInARow: 0, skipped: [], skippedCount: 0, chain: `c-${i}`,
  ...(carried ? {} : { parked: { at: now - 3 * 3600_000, reason: 'waiting for a chain of pieces' } }),
});

it('parks the carried records of a still backfill and leaves the parked thousands unwritten, then waits its half hour', async () => {
  const store = new MemoryStore({ now: () => now });
  for (let i = 0; i < 2000; i++) await saveBackfill(store, record(i, i < 3));
  const written: string[] = [];
  const set = store.set.bind(store);
  store.set = async (key, value, options) => {
    written.push(key);
    return set(key, value, options);
  };

  expect(await restartStalledBackfills({ store, log, now })).toBe(2000);
  expect(written).toHaveLength(4);
  const carried = (await listBackfills(store)).filter((r) => ['{repo-0}', '{repo-1}', '{repo-2}'].includes(r.repository));
  expect(carried.map((r) => [r.parked?.reason, r.updatedAt])).toEqual(Array(3).fill(['no backfill piece ran for half an hour', now]));

  // Ten minutes on, no chain has moved yet (the queue refused them, say): not still again until the half hour is up.
  written.length = 0;
  expect(await restartStalledBackfills({ store, log, now: now + 10 * 60_000 })).toBe(0);
  expect(written).toEqual([]);
  expect(await restartStalledBackfills({ store, log, now: now + STALLED_AFTER_MS + 60_000 })).toBe(2000);
  expect(written).toEqual(['backfill-watchdog:restarted']);
});
