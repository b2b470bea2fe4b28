import { startChains } from '../../core/backfill/chains';
import type { BackfillRecord } from '../../core/backfill/state';
import { errorMessage } from '../../core/errors';
import { forgeForwardQueue } from '../adapters/queue';
import { forgeStore } from '../adapters/kvs-store';
import { forgeLogger } from '../adapters/logger';

/**
 * Starts chains of backfill pieces for the records the settings page just requested (activation,
 * repositories selected): they wait parked, and up to ten chains at once carry them (core/backfill/chains.ts).
 * Should this stop half-way or the queue refuse, the five-minute tick starts them: the activation or
 * selection it follows is done, and the page is not told it failed (the admin would try it again).
 */
export async function startBackfillJobs(workspace: string, records: BackfillRecord[]): Promise<void> {
  if (!records.length) return;
  try {
    await startChains({ store: forgeStore, queue: forgeForwardQueue(), log: forgeLogger, workspace, now: Date.now(), order: records.map((r) => r.repository) });
  } catch (error) {
    forgeLogger.warn({ repositories: records.length, error: errorMessage(error) }, 'could not queue the backfill now; the five-minute tick starts it');
  }
}
