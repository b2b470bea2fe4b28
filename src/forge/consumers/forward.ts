import { InvocationError, InvocationErrorCode } from '@forge/events';
import { z } from 'zod';
import { forward as forwardMessage } from '../../core/pipeline/forward';
import { ForwardMessage, idsMessages, pushEach, PushRefusedError, QUEUE_BATCH } from '../../core/pipeline/queue';
import { forgeContext } from '../adapters/context';
import { invocationDeadline } from '../adapters/deadline';
import { forgeForwardQueue } from '../adapters/queue';
import { forgeLogger as log } from '../adapters/logger';
import { queueComments, runBackfillMessage, runCommentMessage, runReconcileMessage, windowCloses } from './jobs';

// The queue consumer: stage and deliver changes, or run a piece of backfill or reconciliation. A
// delivery that must wait is retried by Forge through InvocationError, carrying its outbox ids so
// the retry resumes exactly those deliveries.

const AsyncEvent = z.object({
  body: z.unknown(),
  retryContext: z.object({ retryCount: z.number(), retryData: z.unknown().optional(), retentionWindow: z.object({ remainingTimeMs: z.number() }).optional() }).optional(),
});
const RetryData = z.object({ ids: z.array(z.string()) });
/** A change not staged yet: the pull request read before staging it failed this often (core/pipeline/forward.ts). */
const PrepareRetryData = z.object({ prepareFailures: z.number().int().min(0) });

export async function forward(event: unknown): Promise<unknown> {
  const parsed = AsyncEvent.safeParse(event);
  const message = parsed.success ? ForwardMessage.safeParse(parsed.data.body) : undefined;
  if (!parsed.success || !message?.success) {
    const error = message?.error ?? parsed.error;
    log.error({ error: error ? z.prettifyError(error) : 'unknown' }, 'dropped a malformed queue message');
    return undefined;
  }
  const body = message.data;
  if ('backfill' in body) return runBackfillMessage(body.backfill);
  if ('reconcile' in body) return runReconcileMessage(body.reconcile);
  if ('comment' in body) return runCommentMessage(body.comment, parsed.data.retryContext);
  const retry = RetryData.safeParse(parsed.data.retryContext?.retryData);
  const ctx = forgeContext();
  const prepareRetry = PrepareRetryData.safeParse(parsed.data.retryContext?.retryData);
  const preparation = { failures: prepareRetry.success ? prepareRetry.data.prepareFailures : 0, canRetry: (afterSeconds: number) => !windowCloses(parsed.data.retryContext, afterSeconds) };
  const result = await forwardMessage(body, { ...ctx, queueComments }, retry.success ? retry.data.ids : undefined, { deadline: invocationDeadline(ctx.clock.now()), preparation });
  if (result.prepareAgain) {
    return new InvocationError({ retryAfter: Math.max(1, Math.ceil(result.prepareAgain.afterSeconds)), retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST, retryData: { prepareFailures: result.prepareAgain.failures } });
  }
  const [soonest, ...others] = result.retries;
  if (!soonest) return undefined;
  // The soonest group is this invocation's own retry, as far as Forge's 4 KB of retryData holds it (a
  // message's worth of ids; a reviewer event lists every reviewer, two deliveries each); the rest of it
  // and each later group are queued with their own delay, a message per QUEUE_BATCH ids, in one push.
  const own = soonest.ids.slice(0, QUEUE_BATCH);
  const later = [{ ...soonest, ids: soonest.ids.slice(QUEUE_BATCH) }, ...others].filter((group) => group.ids.length);
  try {
    await pushEach(forgeForwardQueue(), later.flatMap((group) => idsMessages(group.ids).map((message) => ({ message, options: { delaySeconds: Math.max(1, Math.ceil(group.afterSeconds)) } }))));
  } catch (error) {
    // Those entries wait in the outbox with their next attempt's time: the sweep queues them then.
    if (!(error instanceof PushRefusedError)) throw error;
    log.warn({ entries: later.reduce((n, group) => n + group.ids.length, 0), refusal: error.refusal }, 'later retries left to the outbox sweep: the queue refused');
  }
  return new InvocationError({
    retryAfter: Math.max(1, Math.ceil(soonest.afterSeconds)),
    retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST,
    retryData: { ids: own },
  });
}
