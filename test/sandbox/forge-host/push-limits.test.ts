import { PushLimits } from '../../../src/sandbox/forge-host/push-limits';
import { startTestHost, type TestHost } from './helpers';

// Forge's limits on async-event pushes, as the local host enforces them: through the real
// @forge/events, which must raise its own InvocationLimitReachedError and RateLimitError.

describe('local Forge host: limits on async-event pushes', () => {
  let t: TestHost;
  afterEach(() => t.host.stop());

  it('refuses a push past the limit on push requests per origin, counting every consumer the origin led to', async () => {
    t = await startTestHost({ asyncEventLimits: { pushRequestsPerOrigin: 5 } });
    await t.host.fireEvent({ eventType: 'avi:test:chain', hops: 20, tag: 'first' });
    await t.host.idle();
    // The trigger's push and four consumers' (the second link's redelivery pushes nothing): the fifth
    // link's push is the sixth request of that origin.
    expect(await t.host.kvs.get('chain:first')).toEqual({ reached: 5, refused: 'InvocationLimitReachedError', message: 'The limit on cyclic invocation has been reached.' });
    expect(t.host.queueStats()).toMatchObject({ refused: { invocationLimit: 1, rateLimit: 0 }, peakPushesPerOrigin: 5 });
    expect(t.lines).toContainEqual(expect.objectContaining({ source: 'host', level: 'warn', message: expect.stringContaining("limit on cyclic invocation (405)") }));

    // Another trigger invocation is another origin, with a fresh allowance; within it all goes through.
    await t.host.fireEvent({ eventType: 'avi:test:chain', hops: 20, tag: 'second' });
    await t.host.fireEvent({ eventType: 'avi:test:chain', hops: 5, tag: 'short' });
    await t.host.idle();
    expect(await t.host.kvs.get('chain:second')).toMatchObject({ reached: 5, refused: 'InvocationLimitReachedError' });
    expect(await t.host.kvs.get('chain:short')).toEqual({ reached: 5 });
  });

  it('keeps Forge’s own limit by default: a lineage of 1,000 push requests, not one more', async () => {
    // A thousand links run in far less than a (scaled) minute: the rate limit is the other test's.
    t = await startTestHost({ asyncEventLimits: { eventsPerMinute: 100_000 } });
    await t.host.fireEvent({ eventType: 'avi:test:chain', hops: 1005, tag: 'long' });
    await t.host.idle();
    expect(await t.host.kvs.get('chain:long')).toMatchObject({ reached: 1000, refused: 'InvocationLimitReachedError' });
  }, 60_000);

  it('refuses a push that would take the installation past its events per minute, across origins', async () => {
    // timeScale 1: the minute is a real one and does not pass during the test.
    t = await startTestHost({ timeScale: 1, asyncEventLimits: { eventsPerMinute: 10 } });
    const burst = (sizes: number[]) => t.host.invokeResolver('resolver-fn', 'burst', { sizes }, { accountId: 'acc-1' });
    expect(await burst([4, 4, 3, 2])).toEqual(['accepted', 'accepted', 'RateLimitError', 'accepted']);
    // Another invocation, the same installation: the minute's events are spent.
    expect(await burst([1])).toEqual(['RateLimitError']);
    expect(t.host.queueStats()).toMatchObject({ pushed: 10, refused: { invocationLimit: 0, rateLimit: 2 } });
  });

  it('refuses the pushes a test asks it to, as if the installation’s other traffic had used the limits up', async () => {
    t = await startTestHost();
    t.host.refusePushes('rate-limit', (body) => body.tag === 'burst');
    t.host.refusePushes('invocation-limit', (body) => body.tag === 'burst');
    const burst = (sizes: number[]) => t.host.invokeResolver('resolver-fn', 'burst', { sizes }, { accountId: 'acc-1' });
    expect(await burst([1, 1, 1])).toEqual(['RateLimitError', 'InvocationLimitReachedError', 'accepted']);
  });
});

const events = (n: number) => Array.from({ length: n }, () => ({}));

describe('push limits bookkeeping', () => {
  it('counts the events of a sliding minute, refused pushes not included', () => {
    const limits = new PushLimits({ pushRequestsPerOrigin: 1000, eventsPerMinute: 5 }, 60_000);
    limits.hold('o');
    expect(limits.admit('o', events(3), 0)).toBe('accepted');
    expect(limits.admit('o', events(3), 30_000)).toBe('rate-limit');
    expect(limits.admit('o', events(2), 30_000)).toBe('accepted');
    expect(limits.admit('o', events(1), 59_999)).toBe('rate-limit');
    expect(limits.admit('o', events(3), 60_000)).toBe('accepted'); // the first push has left the minute
    expect(limits.pushesOf('o')).toBe(3);
    expect(limits.refused()).toEqual({ invocationLimit: 0, rateLimit: 2 });
  });

  it('forgets an origin once no invocation or event of it is left', () => {
    const limits = new PushLimits({ pushRequestsPerOrigin: 2, eventsPerMinute: 500 }, 60_000);
    limits.hold('o'); // the initial invocation
    expect(limits.admit('o', events(1))).toBe('accepted');
    limits.hold('o'); // the event it queued
    limits.release('o'); // the invocation returns; the event still holds the origin
    expect(limits.pushesOf('o')).toBe(1);
    limits.hold('o'); // the event's consumer runs
    expect(limits.admit('o', events(1))).toBe('accepted');
    expect(limits.admit('o', events(1))).toBe('invocation-limit');
    limits.release('o'); // the consumer returns
    limits.release('o'); // and its event is done
    expect(limits.pushesOf('o')).toBe(0);
  });
});
