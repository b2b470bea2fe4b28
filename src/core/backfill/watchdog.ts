import type { KeyValueStore, Logger } from '../ports';
import { listBackfills, park, saveBackfill, type BackfillRecord } from './state';

// A backfill is a few chains of queued pieces (chains.ts). Forge does not promise to deliver a queued
// message, and a consumer can die between saving its progress and queueing the next piece. Either
// leaves a record queued or running, not parked, with no piece coming: it still counts as carried, so
// no chain is started for it. The five-minute tick looks for that.
//
// Pieces run one at a time for the whole workspace (PLANNED_WORK), so a record may rightly wait for
// hours behind the others: its own age says nothing. What does is the backfill as a whole standing
// still. Every piece saves its record (a piece waiting for the budget too), and the next piece is
// never more than 15 minutes away (the queue's longest delay) plus a piece's time limit (120 s) and
// its first step: when no record has changed for longer than that, with margin, no chain is alive,
// and every unfinished record is parked for the tick to start chains for. A chain merely late when
// that happens stops at its next piece (state.ts, `chain`).
// A chain lost while others run: its record is carried (not parked), and a carried record is saved
// by each of its pieces; between two of them it waits at most the queue's longest delay plus one
// piece of each of the other chains (CHAINS_AT_ONCE, one at a time, each within its 120 s), some half
// an hour. A carried record unchanged for an hour has no chain: it alone is parked.

export const STALLED_AFTER_MS = 30 * 60_000;
export const CHAIN_LOST_AFTER_MS = 60 * 60_000;
/** When the watchdog last restarted a still backfill: it counts as a change, so that one waits its half hour too. */
const RESTARTED_KEY = 'backfill-watchdog:restarted';

/** Parks every unfinished record when the backfill has stood still too long; returns how many it parked. */
export async function restartStalledBackfills(deps: { store: KeyValueStore; log: Logger; now: number }): Promise<number> {
  const records = await listBackfills(deps.store);
  const unfinished = records.filter((r) => r.state === 'queued' || r.state === 'running');
  if (!unfinished.length) return 0;
  const restarted = (await deps.store.get<number>(RESTARTED_KEY)) ?? 0;
  const lastChange = Math.max(restarted, ...records.map((r) => r.updatedAt));
  if (deps.now - lastChange < STALLED_AFTER_MS) return parkLostChains(unfinished, deps);
  const lost = unfinished.filter((r) => !r.parked);
  // Only the carried records are written (a few: chains.ts starts ten at a time); the parked ones wait
  // for the tick's chains as they are. Rewriting them all, thousands in a large workspace, would pass
  // Forge storage's writes a minute. The mark keeps the backfill from counting as still again for
  // another half hour.
  for (const record of lost) await saveBackfill(deps.store, { ...park(record, 'no backfill piece ran for half an hour', deps.now), updatedAt: deps.now });
  await deps.store.set(RESTARTED_KEY, deps.now);
  deps.log.warn({ repositories: unfinished.length, lost: lost.length, stillForMinutes: Math.round((deps.now - lastChange) / 60_000) }, 'no backfill piece ran for too long; the unfinished backfills were queued again');
  return unfinished.length;
}

/** Parks each carried record that no piece has saved for an hour, while others move; returns how many. */
async function parkLostChains(unfinished: BackfillRecord[], deps: { store: KeyValueStore; log: Logger; now: number }): Promise<number> {
  const lost = unfinished.filter((r) => !r.parked && deps.now - r.updatedAt >= CHAIN_LOST_AFTER_MS);
  for (const record of lost) await saveBackfill(deps.store, { ...park(record, 'no piece of its backfill ran for an hour', deps.now), updatedAt: deps.now });
  if (lost.length) deps.log.warn({ repositories: lost.map((r) => r.repository) }, 'a backfill chain was lost while others ran; its backfill was queued again');
  return lost.length;
}
