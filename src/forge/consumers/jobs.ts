import { runBackfillPiece } from '../../core/backfill/job';
import { settingsStore } from '../../core/config/settings';
import { PLANNED_WORK } from '../../core/pipeline/queue';
import { reconcileBatch } from '../../core/reconcile/pass';
import { forgeContext } from '../adapters/context';
import { forgeForwardQueue } from '../adapters/queue';

// Backfill and reconciliation work taken off the queue. A backfill piece queues the next one itself
// (after the rate budget's wait, when there is one), so a repository's backfill is a chain of pieces
// each well inside the consumer's time limit.

export async function runBackfillMessage(workspace: string, repository: string): Promise<void> {
  const ctx = forgeContext();
  const queue = forgeForwardQueue();
  const preferences = await settingsStore(ctx.store, ctx.secrets).preferences();
  const outcome = await runBackfillPiece(repository, { ctx, client: ctx.client, lookups: ctx.lookups, budget: ctx.budget, queue, preferences, workspace });
  if (outcome.kind === 'continue') await queue.push([{ backfill: { workspace, repository } }], { delaySeconds: outcome.delaySeconds, serializeBy: PLANNED_WORK });
}

export async function runReconcileMessage(workspace: string, repositories: string[], changed: string[]): Promise<void> {
  const ctx = forgeContext();
  await reconcileBatch(repositories, new Set(changed), { ctx, client: ctx.client, lookups: ctx.lookups, budget: ctx.budget, queue: forgeForwardQueue(), workspace });
}
