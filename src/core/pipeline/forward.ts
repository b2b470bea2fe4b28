import { repositoryLogFields, type Change } from '../change/change';
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
    const { change, here } = await prepared(message.change as Change, ctx);
    const staged = await stageChange(change, here);
    const result = await noted(await processEntries(staged.entries, here, options), ctx);
    return { ...result, staged: staged.entries.length };
  } finally {
    await Promise.all([ctx.stats.flush(), ctx.budget.flush()]);
  }
}

/**
 * The change as the host completes it (ForwardContext.prepareChange), with the context whose builder
 * reuses what that read. A read that fails leaves the change as the source gave it, staged all the
 * same: named by uuid, it may reach PanDev twice, but it is never held back or lost for a name.
 */
async function prepared(change: Change, ctx: ForwardContext): Promise<{ change: Change; here: ForwardContext }> {
  if (!ctx.prepareChange) return { change, here: ctx };
  try {
    const done = await ctx.prepareChange(change);
    return done ? { change: done.change, here: { ...ctx, buildBody: done.buildBody } } : { change, here: ctx };
  } catch (error) {
    ctx.log.warn({ ...repositoryLogFields(change), kind: change.kind, error: errorMessage(error) }, 'could not read Bitbucket to complete the change before staging it; staged as the event gave it');
    return { change, here: ctx };
  }
}

/** For the host's status (ForwardContext.noteAnswers); a note that cannot be written must not fail the deliveries. */
async function noted(result: ProcessResult, ctx: ForwardContext): Promise<ProcessResult> {
  await ctx.noteAnswers?.(ctx.store, ctx.clock.now(), result.outcomes).catch((error: unknown) => ctx.log.warn({ error: errorMessage(error) }, 'could not note whether PanDev takes deliveries for the status page'));
  return result;
}
