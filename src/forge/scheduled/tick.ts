import { sweepOutbox } from '../../core/pipeline/sweep';
import { forgeContext } from '../adapters/context';
import { forgeForwardQueue } from '../adapters/queue';

/** The five-minute scheduled trigger: re-queue deliveries whose retry was lost. */
export async function tick(): Promise<void> {
  await sweepOutbox(forgeContext(), forgeForwardQueue());
}
