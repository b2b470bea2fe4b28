import type { PlatformErrorReport } from '../../../src/sandbox/forge-host';
import { startTestHost, type TestHost } from './helpers';

interface Attempt {
  at: number;
  retryContext: { retryCount: number; retryReason: string; retryData?: unknown } | null;
  queueName: string;
}

describe('local Forge host: triggers, async events and scheduled triggers', () => {
  let t: TestHost;
  const reports: PlatformErrorReport[] = [];
  beforeEach(async () => {
    reports.length = 0;
    t = await startTestHost({ maxRetries: 2, onPlatformError: (r) => reports.push(r) });
  });
  afterEach(() => t.host.stop());

  it('runs a trigger with (event, context) and holds its pushed event for delayInSeconds × timeScale', async () => {
    await t.host.fireEvent({ eventType: 'avi:bitbucket:push:repository', repository: { uuid: '{r1}' }, delayInSeconds: 60 });
    const push = (await t.host.kvs.get('push:r1')) as { pushedAt: number; installContext: string };
    expect(push.installContext).toBe('ari:cloud:bitbucket::workspace/4c16a397-8e48-479c-8ca2-442e46c90570');
    expect(t.host.queueStats()).toMatchObject({ pushed: 1, delivered: 0, pending: 1 });
    await t.host.idle();
    const [first] = (await t.host.kvs.get('flaky:attempts')) as Attempt[];
    expect(first?.at).toBeGreaterThanOrEqual(push.pushedAt + 55);
    expect(first?.queueName).toBe('flaky');
  });

  it('redelivers after a returned InvocationError with retryCount, retryReason and retryData', async () => {
    await t.host.fireEvent({ eventType: 'avi:bitbucket:push:repository', repository: { uuid: '{r2}' }, delayInSeconds: 0 });
    await t.host.idle();
    const attempts = (await t.host.kvs.get('flaky:attempts')) as Attempt[];
    expect(attempts.map((a) => a.retryContext)).toEqual([
      null,
      { retryCount: 1, retryReason: 'FUNCTION_UPSTREAM_RATE_LIMITED', retryData: { seen: 1 }, retentionWindow: { startTime: expect.any(String), remainingTimeMs: expect.any(Number) } },
      { retryCount: 2, retryReason: 'FUNCTION_UPSTREAM_RATE_LIMITED', retryData: { seen: 2 }, retentionWindow: { startTime: expect.any(String), remainingTimeMs: expect.any(Number) } },
    ]);
    expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(25);
    expect(await t.host.kvs.get('flaky:done')).toBe(true);
    expect(t.host.queueStats()).toEqual({ pushed: 1, delivered: 1, retried: 2, dropped: 0, pending: 0, refused: { invocationLimit: 0, rateLimit: 0 }, peakPushesPerOrigin: 1, largest: { pushBytes: expect.any(Number), eventBytes: expect.any(Number), retryDataBytes: 10 } });
  });

  it('retries a throwing consumer as FUNCTION_PLATFORM_UNKNOWN_ERROR, then drops it and reports', async () => {
    await t.host.fireEvent({ eventType: 'avi:test:broken' });
    await t.host.idle();
    expect(await t.host.kvs.get('broken:reasons')).toEqual([null, 'FUNCTION_PLATFORM_UNKNOWN_ERROR', 'FUNCTION_PLATFORM_UNKNOWN_ERROR']);
    expect(t.host.queueStats()).toMatchObject({ pushed: 1, delivered: 0, retried: 2, dropped: 1, pending: 0 });
    expect(reports).toEqual([expect.objectContaining({ kind: 'retries-exhausted', body: { doomed: true } })]);
    const appErrors = t.lines.filter((l) => l.source === 'app' && l.level === 'error');
    expect(appErrors.map((l) => [l.moduleKey, l.message])).toContainEqual(['broken-consumer', 'broken consumer fails on attempt 3']);
  });

  it('gives each concurrent invocation its own runtime (module key, invocation id)', async () => {
    await Promise.all([0, 1, 2, 3, 4].map((n) => t.host.fireEvent({ eventType: 'avi:test:probe', n })));
    const records = await Promise.all(
      [0, 1, 2, 3, 4].flatMap((n) => ['probe-one', 'probe-two'].map(async (m) => [m, await t.host.kvs.get(`probe:${n}:${m}`)] as const)),
    );
    for (const [moduleKey, record] of records) expect(record).toMatchObject({ before: moduleKey, after: moduleKey });
    const ids = records.map(([, r]) => (r as { invocationId: string }).invocationId);
    expect(new Set(ids).size).toBe(10);
  });

  it('notes, without stopping it, a function that runs past its manifest timeout', async () => {
    await t.host.fireEvent({ eventType: 'avi:test:slow' });
    const remaining = (await t.host.kvs.get('slow:remaining')) as number;
    expect(remaining).toBeGreaterThan(800);
    expect(remaining).toBeLessThanOrEqual(1000);
    expect(t.lines).toContainEqual(
      expect.objectContaining({ source: 'host', level: 'warn', moduleKey: 'on-slow', message: expect.stringContaining('FUNCTION_TIME_OUT') }),
    );
    expect(await t.host.kvs.get('slow:finished')).toBe(true);
  });

  it('runs a scheduled trigger on demand with its module key', async () => {
    await t.host.runScheduled('tick');
    expect(await t.host.kvs.get('tick:moduleKey')).toBe('tick');
    await expect(t.host.runScheduled('nope')).rejects.toThrow("no scheduledTrigger 'nope'");
  });
});

describe('local Forge host: scaled function timeouts', () => {
  it('reports the scaled limit to the app and stops a function at it, as Forge does', async () => {
    const reports: PlatformErrorReport[] = [];
    const { host, lines } = await startTestHost({ functionTimeoutScale: 0.2, onPlatformError: (r) => reports.push(r) });
    try {
      await host.fireEvent({ eventType: 'avi:test:slow' });
      // The manifest's 1 s, scaled: what getAppContext().invocationRemainingTimeInMillis() said.
      const remaining = (await host.kvs.get('slow:remaining')) as number;
      expect(remaining).toBeGreaterThan(0);
      expect(remaining).toBeLessThanOrEqual(200);
      // Stopped: its storage write after the limit never happened, and the invocation failed as a timeout.
      expect(await host.kvs.get('slow:finished')).toBeUndefined();
      expect(lines).toContainEqual(expect.objectContaining({ source: 'host', level: 'warn', moduleKey: 'on-slow', message: expect.stringContaining('stopped (FUNCTION_TIME_OUT)') }));
      expect(reports).toEqual([expect.objectContaining({ kind: 'invocation-failed', moduleKey: 'on-slow', message: expect.stringContaining('FUNCTION_TIME_OUT') })]);
    } finally {
      await host.stop();
    }
  });
});

describe('local Forge host: scheduled interval', () => {
  it('ticks every fiveMinute × timeScale while started', async () => {
    const { host } = await startTestHost({ timeScale: 0.0002 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await host.idle();
      expect(await host.kvs.get('tick:count')).toBeGreaterThanOrEqual(2);
    } finally {
      await host.stop();
    }
  });
});

// developer.atlassian.com/platform/forge/limits-async-events: 200 KB per push request; 100 KB per
// event for a consumer whose timeout is over 55 s; 4 KB of retryData.
describe('local Forge host: async event size limits', () => {
  let t: TestHost;
  const reports: PlatformErrorReport[] = [];
  beforeEach(async () => {
    reports.length = 0;
    // The test app's consumers keep failing on events this large: a platform that gives up on them
    // after four retries, rather than Forge's day of them, keeps these tests about sizes.
    t = await startTestHost({ maxRetries: 4, onPlatformError: (r) => reports.push(r) });
  });
  afterEach(() => t.host.stop());
  const pushSized = (payload: { queue: 'long' | 'flaky'; bytes: number; retryBytes?: number }) => t.host.invokeResolver('resolver-fn', 'push-sized', payload, { accountId: 'acc-1' });

  it('refuses an event over 100 KB for a long-running consumer with the SDK’s PayloadTooBigError, and takes it for a 55 s one', async () => {
    expect(await pushSized({ queue: 'long', bytes: 101 * 1024 })).toEqual({ outcome: 'PayloadTooBigError', message: expect.stringContaining('100KB') });
    expect(await pushSized({ queue: 'flaky', bytes: 101 * 1024 })).toEqual({ outcome: 'accepted' });
    expect(await pushSized({ queue: 'long', bytes: 99 * 1024 })).toEqual({ outcome: 'accepted' });
    await t.host.idle();
    expect(await t.host.kvs.get('long:attempts')).toEqual([null]);
    expect(t.lines).toContainEqual(expect.objectContaining({ source: 'host', message: expect.stringContaining("over Forge's 100 KB for a long-running consumer") }));
  });

  it('does not retry an event whose retryData is over 4 KB, and reports it; 4 KB is retried', async () => {
    expect(await pushSized({ queue: 'long', bytes: 10, retryBytes: 4000 })).toEqual({ outcome: 'accepted' });
    await t.host.idle();
    expect(await t.host.kvs.get('long:attempts')).toEqual([null, { retryCount: 1, retryDataBytes: 4011 }]);
    await t.host.kvs.delete('long:attempts');
    expect(await pushSized({ queue: 'long', bytes: 10, retryBytes: 5000 })).toEqual({ outcome: 'accepted' });
    await t.host.idle();
    expect(await t.host.kvs.get('long:attempts')).toEqual([null]);
    expect(reports).toEqual([expect.objectContaining({ kind: 'retry-data-too-big', message: expect.stringContaining('5011 bytes') })]);
    expect(t.host.queueStats()).toMatchObject({ delivered: 1, dropped: 1, pending: 0, largest: { retryDataBytes: 5011 } });
  });
});
