import type { Change } from '../change/change';
import type { ForwardContext } from './context';
import { processEntries, type ProcessOptions, type ProcessResult } from './deliver-entries';
import type { ForwardMessage } from './queue';
import { stageChange } from './stage';

/**
 * The consumer's use case: stage a change (or take the ids a retry, sweep or replay handed over) and
 * move its deliveries forward. `retryIds` wins: a retried message must not re-derive its deliveries,
 * because reviewer state has moved on since the first try.
 */
export async function forward(message: Extract<ForwardMessage, { change: unknown } | { ids: unknown }>, ctx: ForwardContext, retryIds?: string[], options: ProcessOptions = {}): Promise<ProcessResult & { staged?: number }> {
  try {
    if (retryIds?.length) return await processEntries(retryIds, ctx, options);
    if ('ids' in message) return await processEntries(message.ids, ctx, options);
    const staged = await stageChange(message.change as Change, ctx);
    const result = await processEntries(staged.entries, ctx, options);
    return { ...result, staged: staged.entries.length };
  } finally {
    await Promise.all([ctx.stats.flush(), ctx.budget.flush()]);
  }
}
