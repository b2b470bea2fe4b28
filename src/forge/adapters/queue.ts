import { Queue } from '@forge/events';
import { QUEUE_BATCH, type ForwardMessage, type ForwardQueue } from '../../core/pipeline/queue';

/** Must match the consumer's `queue` in manifest.yml. */
export const FORWARD_QUEUE_KEY = 'pandev-forward';

const MAX_DELAY_SECONDS = 900;

export function forgeForwardQueue(queue = new Queue({ key: FORWARD_QUEUE_KEY })): ForwardQueue {
  return {
    async push(messages: ForwardMessage[], options = {}) {
      const delayInSeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(options.delaySeconds ?? 0)));
      for (let i = 0; i < messages.length; i += QUEUE_BATCH) {
        await queue.push(
          messages.slice(i, i + QUEUE_BATCH).map((body) => ({
            body: body as Record<string, unknown>,
            ...(delayInSeconds ? { delayInSeconds } : {}),
            ...(options.serializeBy ? { concurrency: { key: options.serializeBy, limit: 1 } } : {}),
          })),
        );
      }
    },
  };
}
