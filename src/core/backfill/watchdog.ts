import type { KeyValueStore, Logger } from '../ports';
import { PLANNED_WORK, type ForwardMessage, type ForwardQueue } from '../pipeline/queue';
import { listBackfills, newChain, saveBackfill, type BackfillRecord } from './state';

// A backfill is a chain of queued pieces, each queueing the next. Forge does not promise to deliver a
// queued message, and a consumer can die between saving its progress and queueing the next piece;
// an Activate can stop after writing the records and before queueing their first pieces (and a
// second Activate returns early). Any of these leaves a record queued or running with no piece
// coming. The five-minute tick looks for that.
//
// Pieces run one at a time for the whole workspace (PLANNED_WORK), so a record may rightly wait for
// hours behind the others: its own age says nothing. What does is the backfill as a whole standing
// still. Every piece saves its record (a piece waiting for the budget too), and the next piece is
// never more than 15 minutes away (the queue's longest delay) plus a piece's time limit (120 s) and
// its first step: when no record has changed for longer than that, with margin, no chain is alive,
// and every unfinished record gets a new one. A chain merely late when that happens stops at its
// next piece (state.ts, `chain`). A chain lost while others run is found once they have finished.

export const STALLED_AFTER_MS = 30 * 60_000;

export function pieceMessage(workspace: string, record: Pick<BackfillRecord, 'repository' | 'chain'>): ForwardMessage {
  return { backfill: { workspace, repository: record.repository, ...(record.chain !== undefined ? { chain: record.chain } : {}) } };
}

/** Queues a new chain for each unfinished record when the backfill has stood still too long; returns how many. */
export async function restartStalledBackfills(deps: { store: KeyValueStore; queue: ForwardQueue; log: Logger; workspace: string; now: number }): Promise<number> {
  const records = await listBackfills(deps.store);
  const unfinished = records.filter((r) => r.state === 'queued' || r.state === 'running');
  if (!unfinished.length) return 0;
  const lastChange = Math.max(...records.map((r) => r.updatedAt));
  if (deps.now - lastChange < STALLED_AFTER_MS) return 0;
  const restarted = unfinished.map((r): BackfillRecord => ({ ...r, chain: newChain(deps.now), updatedAt: deps.now }));
  // Saved first: a piece of the new chain must find its name on the record.
  for (const record of restarted) await saveBackfill(deps.store, record);
  await deps.queue.push(restarted.map((r) => pieceMessage(deps.workspace, r)), { serializeBy: PLANNED_WORK });
  deps.log.warn({ repositories: restarted.length, stillForMinutes: Math.round((deps.now - lastChange) / 60_000) }, 'no backfill piece ran for too long; the unfinished backfills were queued again');
  return restarted.length;
}
