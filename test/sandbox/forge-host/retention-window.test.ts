import { InvocationError, InvocationErrorCode } from '@forge/events';
import { AsyncEventQueue, type QueuedEvent, type RetryContext } from '../../../src/sandbox/forge-host/queue';

// runtime-reference/async-events-api ("Async events API"): since @forge/events 2 an event is not
// retried a fixed number of times but "automatically retried within the retention window until they
// are successfully delivered", and "If the retention window is exceeded due to app level errors, the
// Async Event is dropped"; its own retries' "intervals reaching up to approximately 15 minutes".

it('retries an event for as long as its retention window lasts, however many times, and tells it how long is left', async () => {
  const seen: Array<RetryContext | null> = [];
  const dropped: string[] = [];
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  // Every 100 s in a 650 s window: at most six retries start inside it.
  const queue = new AsyncEventQueue({
    hasConsumer: () => true,
    deliver: async (event) => {
      seen.push(event.retryContext ?? null);
      return new InvocationError({ retryAfter: 100, retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST });
    },
    onDropped: (_event, kind, message) => {
      dropped.push(`${kind}: ${message}`);
      done();
    },
    onChange: () => {},
    timeScale: 0.002,
    retentionWindowSeconds: 650,
    concurrency: 1,
  });
  try {
    queue.push('q', 'job-1', [{ body: { n: 1 } }]);
    await finished;
    // Six retries fit when every timer fires on time; a loaded machine fires them late (the window is
    // real time, scaled), and fewer fit. Either way each attempt counts on from the last, every retry
    // starts inside the window, and the event is dropped for the window, not for a count.
    const counts = seen.map((context) => context?.retryCount ?? 0);
    expect(counts).toEqual(counts.map((_, i) => i));
    expect(counts.length).toBeGreaterThanOrEqual(3);
    expect(counts.length).toBeLessThanOrEqual(7);
    expect(dropped).toEqual([expect.stringMatching(/^retries-exhausted: .*retention window/)]);
    const windows = seen.slice(1).map((context) => context!.retentionWindow!);
    expect(new Set(windows.map((w) => w.startTime)).size).toBe(1);
    const remaining = windows.map((w) => w.remainingTimeMs);
    expect(remaining[0]).toBeLessThan(650_000);
    expect(remaining.every((ms) => ms > 0)).toBe(true);
    expect(remaining).toEqual([...remaining].sort((a, b) => b - a));
  } finally {
    queue.stop();
  }
});

it('waits at most 15 minutes between its own retries of a consumer that keeps failing', async () => {
  let retried: (event: QueuedEvent) => void = () => {};
  const scheduled = new Promise<QueuedEvent>((resolve) => (retried = resolve));
  const queue: AsyncEventQueue = new AsyncEventQueue({
    hasConsumer: () => true,
    deliver: async () => {
      throw new Error('still broken');
    },
    onDropped: () => {},
    onChange: () => {
      const event = queue.snapshot().find((e) => (e.retryContext?.retryCount ?? 0) > 12);
      if (event) retried(event);
    },
    timeScale: 1,
    concurrency: 1,
  });
  try {
    // Twelve failures in: doubling from 1 s would wait 4,096 s.
    const now = Date.now();
    queue.restore([{ body: { n: 1 }, eventId: 'e-1', jobId: 'job-1', queueName: 'q', dueAt: now, enqueuedAt: now, retryContext: { retryCount: 12, retryReason: 'FUNCTION_PLATFORM_UNKNOWN_ERROR' } }]);
    const event = await scheduled;
    expect(event.retryContext).toMatchObject({ retryCount: 13, retryReason: 'FUNCTION_PLATFORM_UNKNOWN_ERROR' });
    expect(event.dueAt).toBeLessThanOrEqual(Date.now() + 900_000);
  } finally {
    queue.stop();
  }
});
