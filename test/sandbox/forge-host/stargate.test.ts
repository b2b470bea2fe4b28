import { AsyncEventQueue, type QueuedEvent } from '../../../src/sandbox/forge-host/queue';
import { handleStargate } from '../../../src/sandbox/forge-host/stargate';

// The queue endpoints as @forge/events posts to them (placeholders unfilled, as the SDK sends them),
// and the queue's concurrency bounds, without an app in between.

const PUBLISH = '/webhook/queue/publish/{contextAri}/{environmentId}/{appId}/{appVersion}';
const STATS = '/webhook/queue/stats/{contextAri}/{environmentId}/{appId}/{appVersion}';
const CANCEL = '/webhook/queue/cancel/{contextAri}/{environmentId}/{appId}/{appVersion}';

function makeQueue(deliver: (e: QueuedEvent) => Promise<unknown> = async () => undefined, concurrency = 8): AsyncEventQueue {
  return new AsyncEventQueue({ hasConsumer: () => true, deliver, onDropped: () => undefined, onChange: () => undefined, timeScale: 1, maxRetries: 1, concurrency });
}

const publish = (queue: AsyncEventQueue, payload: unknown[], jobId = 'job-1'): Response =>
  handleStargate(queue, PUBLISH, { queueName: 'q', jobId, type: 'avi:forge:app:event', payload, time: new Date().toISOString() });

describe('queue publish endpoint', () => {
  it('accepts a valid push with 201 and validates like Forge: ≤ 50 events, delay 0..900 s, ≤ 200 KB', async () => {
    const queue = makeQueue();
    try {
      expect(publish(queue, [{ body: { a: 1 }, delayInSeconds: 900 }]).status).toBe(201);
      expect(publish(queue, Array.from({ length: 51 }, () => ({ body: {} }))).status).toBe(400);
      expect(publish(queue, [{ body: {}, delayInSeconds: 901 }]).status).toBe(400);
      expect(publish(queue, [{ body: 'not an object' }]).status).toBe(400);
      const tooBig = publish(queue, [{ body: { blob: 'x'.repeat(201 * 1024) } }]);
      expect(tooBig.status).toBe(413);
      expect(await tooBig.json()).toEqual({ errorMessage: expect.stringContaining('200KB') });
      expect(queue.stats()).toMatchObject({ pushed: 1, pending: 1 });
    } finally {
      queue.stop();
    }
  });

  it('reports job stats and cancels a job’s waiting events', async () => {
    const queue = makeQueue();
    try {
      publish(queue, [{ body: {}, delayInSeconds: 900 }, { body: {}, delayInSeconds: 900 }]);
      const stats = handleStargate(queue, STATS, { queueName: 'q', jobId: 'job-1' });
      expect(await stats.json()).toEqual({ success: 0, inProgress: 2, failed: 0 });
      expect(handleStargate(queue, CANCEL, { queueName: 'q', jobId: 'job-1' }).status).toBe(204);
      expect(queue.pending()).toBe(0);
      expect(handleStargate(queue, STATS, { queueName: 'q', jobId: 'other' }).status).toBe(404);
      expect(handleStargate(queue, '/graphql', {}).status).toBe(404);
    } finally {
      queue.stop();
    }
  });
});

describe('queue concurrency', () => {
  it('bounds consumer invocations in flight, overall and per concurrency key', async () => {
    let inFlight = 0;
    let peak = 0;
    const peaks: Record<string, number> = {};
    const running: Record<string, number> = {};
    const deliver = async (event: QueuedEvent): Promise<void> => {
      const key = event.concurrency?.key ?? '-';
      inFlight += 1;
      running[key] = (running[key] ?? 0) + 1;
      peak = Math.max(peak, inFlight);
      peaks[key] = Math.max(peaks[key] ?? 0, running[key] ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 10));
      inFlight -= 1;
      running[key] = (running[key] ?? 1) - 1;
    };
    const queue = makeQueue(deliver, 3);
    queue.push('q', 'job', [
      ...Array.from({ length: 6 }, () => ({ body: {} })),
      ...Array.from({ length: 4 }, () => ({ body: {}, concurrency: { key: 'repo-1', limit: 1 } })),
    ]);
    while (queue.pending() > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(peak).toBe(3);
    expect(peaks['repo-1']).toBe(1);
    expect(queue.stats()).toMatchObject({ delivered: 10, pending: 0 });
    queue.stop();
  });

  it('runs the events of one concurrency key in the order they were pushed, while other keys go ahead', async () => {
    const order: string[] = [];
    // The slow key's first event holds until every event of the fast key has run: no timing involved.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const deliver = async (event: QueuedEvent): Promise<void> => {
      const key = event.concurrency?.key;
      if (key === 'slow') await released;
      order.push(`${key}:${String(event.body.n)}`);
      if (order.filter((o) => o.startsWith('fast')).length === 5) release();
    };
    const queue = makeQueue(deliver, 4);
    queue.push('q', 'job', [
      ...Array.from({ length: 5 }, (_, n) => ({ body: { n }, concurrency: { key: 'slow', limit: 1 } })),
      ...Array.from({ length: 5 }, (_, n) => ({ body: { n }, concurrency: { key: 'fast', limit: 1 } })),
    ]);
    // Bounded, so that a queue which let the slow key take every slot fails here instead of hanging.
    for (let i = 0; i < 200 && queue.pending() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    release();
    queue.stop();
    expect(order).toEqual(['fast:0', 'fast:1', 'fast:2', 'fast:3', 'fast:4', 'slow:0', 'slow:1', 'slow:2', 'slow:3', 'slow:4']);
  });
});
