import { InvocationLimitReachedError, PartialSuccessError, Queue, RateLimitError, type PushEvent } from '@forge/events';
import { packBySize } from '../../core/pack';
import { PushRefusedError, QUEUE_BATCH, type ForwardQueue, type PushOptions, type QueuedMessage } from '../../core/pipeline/queue';

/** Must match the consumer's `queue` in manifest.yml. */
export const FORWARD_QUEUE_KEY = 'pandev-forward';

const MAX_DELAY_SECONDS = 900;
/** @forge/events refuses a push whose events come to more than 200 KB of JSON (validators.js). */
const MAX_PUSH_BYTES = 200 * 1024;

function pushEvent({ message, options = {} }: QueuedMessage): PushEvent {
  const delayInSeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(options.delaySeconds ?? 0)));
  return {
    body: message as Record<string, unknown>,
    ...(delayInSeconds ? { delayInSeconds } : {}),
    ...(options.serializeBy ? { concurrency: { key: options.serializeBy, limit: 1 } } : {}),
  };
}

/** Consecutive events packed into push requests of at most 50 events and 200 KB each. */
function requests(events: PushEvent[]): PushEvent[][] {
  // Each event's JSON and its comma, within the array's brackets.
  const sized = events.map((event) => ({ item: event, bytes: Buffer.byteLength(JSON.stringify(event)) + 1 }));
  return packBySize(sized, MAX_PUSH_BYTES - 2, QUEUE_BATCH);
}

export function forgeForwardQueue(queue = new Queue({ key: FORWARD_QUEUE_KEY })): ForwardQueue {
  async function pushEach(items: QueuedMessage[]): Promise<void> {
    for (const events of requests(items.map(pushEvent))) {
      try {
        await queue.push(events);
      } catch (error) {
        // The two refusals the app plans around, in the core's terms (no SDK types past the adapter).
        if (error instanceof InvocationLimitReachedError) throw new PushRefusedError('invocation-limit', error.message);
        if (error instanceof RateLimitError) throw new PushRefusedError('rate-limit', error.message);
        // Forge queued some events and refused others (202): parked again, the queued ones run twice at
        // most, which the ledger, the chains' names and the comments' upsert already absorb.
        if (error instanceof PartialSuccessError) throw new PushRefusedError('partial', error.message);
        throw error;
      }
    }
  }
  return {
    push: (messages, options: PushOptions = {}) => pushEach(messages.map((message) => ({ message, options }))),
    pushEach,
  };
}
