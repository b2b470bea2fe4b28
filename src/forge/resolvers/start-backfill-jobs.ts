import type { BackfillRecord } from '../../core/backfill/state';
import { PLANNED_WORK } from '../../core/pipeline/queue';
import { forgeForwardQueue } from '../adapters/queue';

/**
 * Starts a job for each backfill record the settings page just requested (activation, repositories
 * selected): the first piece of each goes on the queue, and each piece queues the next.
 */
export async function startBackfillJobs(workspace: string, records: BackfillRecord[]): Promise<void> {
  // Planned work runs one piece at a time (see PLANNED_WORK): each asks the budget before it spends.
  if (records.length) await forgeForwardQueue().push(records.map((record) => ({ backfill: { workspace, repository: record.repository } })), { serializeBy: PLANNED_WORK });
}
