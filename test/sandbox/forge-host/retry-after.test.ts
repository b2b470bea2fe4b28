import { InvocationError, InvocationErrorCode } from '@forge/events';
import { AsyncEventQueue, type QueuedEvent } from '../../../src/sandbox/forge-host/queue';

// runtime-reference/async-events-api, RetryOptions: "The maximum retryAfter value is 900 seconds (15
// minutes). Any retryAfter values exceeding this limit are lowered to 900 seconds." An app that asks
// for longer is retried sooner than it asked, and must cope: the host must not hide that.

it('lowers a retryAfter over 900 seconds to 900, as Forge does', async () => {
  let retried: (event: QueuedEvent) => void = () => {};
  const scheduled = new Promise<QueuedEvent>((resolve) => (retried = resolve));
  const queue: AsyncEventQueue = new AsyncEventQueue({
    hasConsumer: () => true,
    deliver: async () => new InvocationError({ retryAfter: 3600, retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST }),
    onDropped: () => {},
    onChange: () => {
      const event = queue.snapshot().find((e) => e.retryContext);
      if (event) retried(event);
    },
    timeScale: 1,
    maxRetries: 4,
    concurrency: 1,
  });
  try {
    const before = Date.now();
    queue.push('q', 'job-1', [{ body: { n: 1 } }]);
    const event = await scheduled;
    expect(event.retryContext).toMatchObject({ retryCount: 1, retryReason: 'FUNCTION_RETRY_REQUEST' });
    expect(event.dueAt).toBeGreaterThanOrEqual(before + 900_000);
    expect(event.dueAt).toBeLessThanOrEqual(Date.now() + 900_000);
  } finally {
    queue.stop();
  }
});
