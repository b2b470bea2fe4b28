import type { BackfillRecord } from '../../core/backfill/state';
import { forgeForwardQueue } from '../adapters/queue';

/**
 * Starts a job for each backfill record the settings page just requested (activation, repositories
 * selected): the first piece of each goes on the queue, and each piece queues the next.
 */
export async function startBackfillJobs(workspace: string, records: BackfillRecord[]): Promise<void> {
  if (records.length) await forgeForwardQueue().push(records.map((record) => ({ backfill: { workspace, repository: record.repository } })));
}
