import { drainInbox } from '../../core/pipeline/inbox';
import { sweepOutbox } from '../../core/pipeline/sweep';
import { forgeContext } from '../adapters/context';
import { forgeForwardQueue } from '../adapters/queue';

/** The five-minute scheduled trigger: queue parked changes, re-queue deliveries whose retry was lost. */
export async function tick(): Promise<void> {
  const ctx = forgeContext();
  const queue = forgeForwardQueue();
  await drainInbox(ctx.store, queue, ctx.log);
  await sweepOutbox(ctx, queue);
}
