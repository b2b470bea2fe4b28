import { deferBackfills, pendingBackfills, REQUESTED_AT_ONCE, REQUESTED_PER_TICK, requestPendingBackfills } from '../../src/core/backfill/pending';
import { listBackfills, saveBackfill, type BackfillRecord } from '../../src/core/backfill/state';
import { requestBackfills } from '../../src/core/admin/selection';
import { firstWatermark, pendingOnce } from '../../src/core/reconcile/pass';
import type { Logger } from '../../src/core/ports';
import { MemoryStore } from '../../src/sandbox/memory-store';

// A workspace of thousands of repositories cannot have a backfill record written for each in one
// resolver call (Forge storage takes about 4,000 writes a minute): the first few hundred are written
// at once, the rest by the five-minute ticks, a bounded number each.

const repositories = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ uuid: `{repo-${String(from + i).padStart(5, '0')}}`, name: `repo ${from + i}` }));
const lines: string[] = [];
const log = { info: () => undefined, warn: () => undefined, error: (_: unknown, message: string) => void lines.push(message), debug: () => undefined } as unknown as Logger;
const asked = Date.parse('2026-11-01T00:00:00Z');

it('writes the first records at once and leaves the rest, in order, to the ticks', async () => {
  const store = new MemoryStore();
  const all = repositories(REQUESTED_AT_ONCE + REQUESTED_PER_TICK + 300);
  const { records, deferred } = await requestBackfills(store, all, 30, asked);
  expect(records.map((r) => r.repository)).toEqual(all.slice(0, REQUESTED_AT_ONCE).map((r) => r.uuid));
  expect(deferred).toBe(REQUESTED_PER_TICK + 300);
  expect((await pendingBackfills(store)).size).toBe(REQUESTED_PER_TICK + 300);

  const first = await requestPendingBackfills({ store, log }, () => true);
  expect(first.map((r) => r.repository)).toEqual(all.slice(REQUESTED_AT_ONCE, REQUESTED_AT_ONCE + REQUESTED_PER_TICK).map((r) => r.uuid));
  // Each keeps the window and the time it was asked for, and its name.
  expect(first[0]).toMatchObject({ windowDays: 30, requestedAt: asked, since: new Date(asked - 30 * 86_400_000).toISOString(), name: all[REQUESTED_AT_ONCE]!.name, state: 'queued' });
  expect((await pendingBackfills(store)).size).toBe(300);

  await requestPendingBackfills({ store, log }, () => true);
  expect((await pendingBackfills(store)).size).toBe(0);
  expect((await listBackfills(store)).map((r) => r.repository).sort()).toEqual(all.map((r) => r.uuid));
});

it('passes over a repository deselected while it waited, and leaves alone one under way', async () => {
  const store = new MemoryStore();
  const [deselected, running, waiting] = repositories(3);
  await saveBackfill(store, { repository: running!.uuid, state: 'running', windowDays: 30, since: '2026-10-01T00:00:00Z', requestedAt: 1, run: 'r', updatedAt: 5, done: 7, requests: 9, leftOutInARow: 0, skipped: [], skippedCount: 0 } satisfies BackfillRecord);
  await deferBackfills(store, [deselected!, running!, waiting!], 30, asked);
  const written = await requestPendingBackfills({ store, log }, (uuid) => uuid !== deselected!.uuid);
  expect(written.map((r) => r.repository)).toEqual([waiting!.uuid]);
  expect((await listBackfills(store)).find((r) => r.repository === running!.uuid)).toMatchObject({ state: 'running', done: 7 });
  expect((await listBackfills(store)).some((r) => r.repository === deselected!.uuid)).toBe(false);
});

it('does not defer what needs no backfill: those under way or done over the window are found in one listing', async () => {
  const store = new MemoryStore();
  const all = repositories(REQUESTED_AT_ONCE + 10);
  await requestBackfills(store, all.slice(0, REQUESTED_AT_ONCE), 30, asked);
  const again = await requestBackfills(store, all, 30, asked + 1000);
  expect(again.records.map((r) => r.repository)).toEqual(all.slice(REQUESTED_AT_ONCE).map((r) => r.uuid));
  expect(again.deferred).toBe(0);
});

it('drops a row it cannot read, and says so', async () => {
  const store = new MemoryStore();
  await store.set('pending-backfill:000000000000001:000000', { repositories: 'not a list' });
  lines.length = 0;
  expect(await requestPendingBackfills({ store, log }, () => true)).toEqual([]);
  expect(await pendingBackfills(store)).toEqual(new Map());
  expect(lines).toEqual([expect.stringMatching(/could not be read and was dropped: select those repositories again/)]);
});

it("starts a waiting repository's first reconciliation from when its backfill was asked for, not from the activation", async () => {
  const store = new MemoryStore();
  const activatedAt = asked - 60 * 86_400_000;
  const [recorded, waiting, neither] = repositories(3);
  await requestBackfills(store, [recorded!], 30, asked - 1000);
  await deferBackfills(store, [waiting!], 30, asked);
  const pending = pendingOnce(store);
  expect(await firstWatermark(store, recorded!.uuid, activatedAt, pending)).toBe(asked - 1000);
  expect(await firstWatermark(store, waiting!.uuid, activatedAt, pending)).toBe(asked);
  expect(await firstWatermark(store, neither!.uuid, activatedAt, pending)).toBe(activatedAt);
});
