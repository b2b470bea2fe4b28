import { startChains } from '../../core/backfill/chains';
import { restartStalledBackfills } from '../../core/backfill/watchdog';
import { requestDeferredBackfills } from '../../core/admin/selection';
import { errorMessage } from '../../core/errors';
import { drainInbox } from '../../core/pipeline/inbox';
import { forgetGoneRepositories } from '../../core/reconcile/forget-gone';
import { planReconciliation } from '../../core/reconcile/pass';
import { QUERIES_PER_METERED_SWEEP, sweepOutbox } from '../../core/pipeline/sweep';
import { forgeContext } from '../adapters/context';
import { CONSUMER_TIMEOUT_SECONDS } from '../adapters/deadline';
import { forgeForwardQueue } from '../adapters/queue';
import { workspaceFromContext } from '../adapters/workspace';

/**
 * The five-minute scheduled trigger: queue parked changes, re-queue deliveries whose retry was lost,
 * write the records of backfills asked for in a workspace too large to write them at once, start
 * chains for parked backfills (a lineage of its own: Forge limits push requests per lineage),
 * plan the reconciliation of the repositories whose period is due, and let go of a part of the
 * records of repositories deleted in Bitbucket.
 */
export async function tick(_event: unknown, context: unknown): Promise<void> {
  const ctx = forgeContext();
  const queue = forgeForwardQueue();
  try {
    await drainInbox(ctx.store, queue, ctx.log);
  } catch (error) {
    // Storage refused (its per-minute quota, in the very bursts that park changes): the parked changes
    // wait for the next tick; the sweep, the backfill and the reconciliation need not.
    ctx.log.error({ error: errorMessage(error) }, 'could not queue the parked changes');
  }
  try {
    // A consumer still moving a late entry forward is done (or stopped) before the copy starts. A long
    // PanDev outage fills the outbox with entries waiting out retries: each tick reads a bounded part.
    await sweepOutbox(ctx, queue, { holdOffSeconds: CONSUMER_TIMEOUT_SECONDS, maxQueries: QUERIES_PER_METERED_SWEEP });
  } catch (error) {
    // The entries stay in the outbox for the next tick; the backfill and the reconciliation go on.
    ctx.log.error({ error: errorMessage(error) }, 'could not sweep the outbox');
  }
  const workspace = workspaceFromContext(context);
  if (!workspace) return ctx.log.warn({}, 'no workspace in the invocation context; reconciliation skipped');
  try {
    const now = ctx.clock.now();
    await restartStalledBackfills({ store: ctx.store, log: ctx.log, now });
    await requestDeferredBackfills(ctx);
    await startChains({ store: ctx.store, queue, log: ctx.log, workspace, now });
  } catch (error) {
    // The next tick looks again; the reconciliation below need not wait for it.
    ctx.log.error({ error: errorMessage(error) }, 'could not resume the backfill');
  }
  try {
    await planReconciliation({ ctx, client: ctx.client, lookups: ctx.lookups, budget: ctx.budget, queue, workspace });
  } catch (error) {
    // The next tick plans again; the sweep and the inbox above already ran.
    ctx.log.error({ error: errorMessage(error) }, 'could not plan the reconciliation');
  }
  try {
    // After the plan, which reads the list of repositories again when it is an hour old.
    await forgetGoneRepositories({ store: ctx.store, lookups: ctx.lookups, workspace, log: ctx.log, now: ctx.clock.now(), requestsLeft: async () => (await ctx.budget.snapshot()).available });
  } catch (error) {
    // The records wait for the next tick; nothing reads them but the settings page.
    ctx.log.error({ error: errorMessage(error) }, 'could not forget the records of deleted repositories');
  }
  try {
    // Whatever failed above, the Bitbucket requests it made were spent: the next plan must see them.
    await ctx.budget.flush();
  } catch (error) {
    ctx.log.error({ error: errorMessage(error) }, 'could not record the Bitbucket requests of this tick in the budget');
  }
}
