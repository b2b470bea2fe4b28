import type { BackfillRecord } from '../../core/backfill/state';
import { pieceMessage } from '../../core/backfill/watchdog';
import { PLANNED_WORK } from '../../core/pipeline/queue';
import { forgeForwardQueue } from '../adapters/queue';

/**
 * Starts a job for each backfill record the settings page just requested (activation, repositories
 * selected): the first piece of each goes on the queue, and each piece queues the next. Should this
 * stop half-way, the five-minute tick queues them (core/backfill/watchdog.ts).
 */
export async function startBackfillJobs(workspace: string, records: BackfillRecord[]): Promise<void> {
  // Planned work runs one piece at a time (see PLANNED_WORK): each asks the budget before it spends.
  if (records.length) await forgeForwardQueue().push(records.map((record) => pieceMessage(workspace, record)), { serializeBy: PLANNED_WORK });
}
