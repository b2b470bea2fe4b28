import type { Change } from '../change/change';
import { errorMessage } from '../errors';
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
    if (retryIds?.length) return await noted(await processEntries(retryIds, ctx, options), ctx);
    if ('ids' in message) return await noted(await processEntries(message.ids, ctx, options), ctx);
    const staged = await stageChange(message.change as Change, ctx);
    const result = await noted(await processEntries(staged.entries, ctx, options), ctx);
    return { ...result, staged: staged.entries.length };
  } finally {
    await Promise.all([ctx.stats.flush(), ctx.budget.flush()]);
  }
}

/** For the host's status (ForwardContext.noteAnswers); a note that cannot be written must not fail the deliveries. */
async function noted(result: ProcessResult, ctx: ForwardContext): Promise<ProcessResult> {
  await ctx.noteAnswers?.(ctx.store, ctx.clock.now(), result.outcomes).catch((error: unknown) => ctx.log.warn({ error: errorMessage(error) }, 'could not note whether PanDev takes deliveries for the status page'));
  return result;
}
