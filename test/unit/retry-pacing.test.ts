import { RateBudget } from '../../src/core/budget/rate-budget';
import { BitbucketError } from '../../src/core/errors';
import type { Change } from '../../src/core/change/change';
import { intentsFor } from '../../src/core/change/intents';
import { secretKeys, settingsStore } from '../../src/core/config/settings';
import { encodeBody, outboxStore, type OutboxEntry } from '../../src/core/deliver/outbox';
import { DeliveryStats, recentOutcomes } from '../../src/core/deliver/stats';
import type { ForwardContext } from '../../src/core/pipeline/context';
import { groupWaits, processEntries } from '../../src/core/pipeline/deliver-entries';
import { newEntry } from '../../src/core/pipeline/stage';
import { MemoryStore } from '../../src/sandbox/memory-store';
import { startPanDevSink, type PanDevSink } from '../../src/sandbox/pandev-sink';

// Each outbox entry keeps its own backoff, even when the sweep hands late entries over in one batch,
// and a long Retry-After is waited out in steps the queue accepts. The platform's queue is played by
// the test on a simulated clock (each retry runs when its delay is up); PanDev is the real receiver.

const SECRET = 'pacing-signing-secret';
const TOKEN = 'pacing-token';
let sink: PanDevSink;
beforeEach(async () => (sink = await startPanDevSink({ secret: SECRET, token: TOKEN })));
afterEach(() => sink.stop());

const change = (commentId: number): Change => ({ edition: 'cloud', workspace: '{w}', repository: { uuid: '{r}' }, origin: 'trigger', at: '2026-11-20T10:00:00Z', kind: 'comment', action: 'created', pullRequestId: 1, commentId });

async function world() {
  let now = Date.parse('2026-11-20T10:00:00Z');
  const clock = { now: () => now };
  const store = new MemoryStore(clock);
  const values = new Map<string, string>([[secretKeys.token, TOKEN], [secretKeys.signingSecret, SECRET]]);
  const secrets = { get: async (key: string) => values.get(key), set: async () => undefined, delete: async () => undefined };
  await settingsStore(store, secrets).saveConnection({ baseUrl: sink.url, activatedAt: now });
  const attempts: Array<{ id: string; at: number }> = [];
  const ctx: ForwardContext = {
    store, clock, log: { debug() {}, info() {}, warn() {}, error() {} },
    secrets,
    send: async (url, init) => {
      attempts.push({ id: init.headers['X-Request-UUID']!, at: now });
      return fetch(url, init);
    },
    buildBody: async () => '{}',
    userAgent: 'pandev-bitbucket/test',
    stats: new DeliveryStats(store, clock),
    budget: new RateBudget(store, clock, { limitPerHour: async () => 1000 }),
  };
  const stage = async (commentId: number, fields: Partial<OutboxEntry> = {}) => {
    const fresh = newEntry(change(commentId), intentsFor(change(commentId)).intents[0]!, now);
    const entry = { ...fresh, body: encodeBody('{}'), ...fields };
    await outboxStore(store).put(entry);
    return entry.id;
  };
  /** Runs one handed-over batch, then every retry the results ask for, each when its delay is up. */
  const play = async (ids: string[]) => {
    const pending = [{ at: now, ids }];
    const delays: number[] = [];
    for (let step = 0; pending.length && step < 200; step++) {
      pending.sort((a, b) => a.at - b.at);
      const next = pending.shift()!;
      now = next.at;
      const result = await processEntries(next.ids, ctx);
      await ctx.stats.flush();
      for (const group of result.retries) {
        delays.push(group.afterSeconds);
        pending.push({ at: now + Math.max(1, Math.ceil(group.afterSeconds)) * 1000, ids: group.ids });
      }
    }
    return delays;
  };
  return { store, ctx, attempts, stage, play, now: () => now };
}

it('retries an entry many attempts in at its own pace, not at that of a fresh one beside it', async () => {
  const w = await world();
  sink.respondNext(503, 1000, 'down for maintenance');
  const old = await w.stage(1, { attempts: 8 });
  const fresh = await w.stage(2);
  await w.play([old, fresh]); // as the sweep hands them over: one message

  const times = w.attempts.filter((a) => a.id === old).map((a) => a.at);
  expect(times).toHaveLength(4); // attempts 9 to 12
  // After its 9th failure an entry waits at least half of 15 minutes (30 s doubling, capped, jittered).
  const gaps = times.slice(1).map((t, i) => (t - times[i]!) / 1000);
  for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(450);
  // The fresh one went through its own twelve attempts, the first ones far sooner.
  const freshTimes = w.attempts.filter((a) => a.id === fresh).map((a) => a.at);
  expect(freshTimes).toHaveLength(12);
  expect((freshTimes[1]! - freshTimes[0]!) / 1000).toBeLessThan(31);
  expect(await outboxStore(w.store).getDead(old)).toMatchObject({ reason: expect.stringMatching(/gave up after 12 attempts/) });
});

/** PanDev takes the first attempt (it reaches the receiver) but it is answered `status` with a Retry-After; later ones go through. */
function answerFirstWith(w: Awaited<ReturnType<typeof world>>, status: number, retryAfter: string, text: string): void {
  const original = w.ctx.send;
  let first = true;
  w.ctx.send = async (url, init) => {
    if (!first) return original(url, init);
    first = false;
    await original(url, init).catch(() => undefined);
    return { status, headers: { get: (name: string) => (name.toLowerCase() === 'retry-after' ? retryAfter : null) }, text: async () => text };
  };
}

it('waits out a Retry-After longer than one queue delay in steps of at most 15 minutes, counting one retry', async () => {
  const w = await world();
  // PanDev answers the first attempt with 429 and an hour's Retry-After, then takes the delivery.
  const id = await w.stage(3);
  answerFirstWith(w, 429, '3600', 'slow down');
  const delays = await w.play([id]);
  expect(Math.max(...delays)).toBeLessThanOrEqual(900);
  const times = w.attempts.filter((a) => a.id === id).map((a) => a.at);
  expect(times).toHaveLength(2);
  expect((times[1]! - times[0]!) / 1000).toBeGreaterThanOrEqual(3600);
  expect(sink.deliveries().map((d) => d.id)).toEqual([id]);
  const outcomes = await recentOutcomes(w.store, w.now());
  expect(outcomes).toMatchObject({ retried: 1, delivered: 1 });
});

it("retries an entry given a Retry-After no sooner, though it shares its retry with a sooner one's", async () => {
  const w = await world();
  w.ctx.random = () => 1; // the 503's wait is the full 30 s; the 429's Retry-After (36 s) is near enough to share its retry
  const busy = await w.stage(6);
  const limited = await w.stage(7);
  sink.respondNext(503, 1, 'busy');
  const original = w.ctx.send;
  w.ctx.send = async (url, init) => {
    const answer = await original(url, init);
    if (init.headers['X-Request-UUID'] !== limited || w.attempts.filter((a) => a.id === limited).length > 1) return answer;
    return { status: 429, headers: { get: (name: string) => (name.toLowerCase() === 'retry-after' ? '36' : null) }, text: async () => 'slow down' };
  };
  await w.play([busy, limited]);
  const times = w.attempts.filter((a) => a.id === limited).map((a) => a.at);
  expect(times).toHaveLength(2);
  expect((times[1]! - times[0]!) / 1000).toBeGreaterThanOrEqual(36);
  expect(w.attempts.filter((a) => a.id === busy)).toHaveLength(2);
  expect(new Set(sink.deliveries().map((d) => d.id))).toEqual(new Set([busy, limited]));
});

it('waits at most an hour for a Retry-After far beyond any real outage (a proxy asking for a year)', async () => {
  const w = await world();
  const id = await w.stage(5);
  answerFirstWith(w, 503, String(365 * 24 * 3600), 'maintenance');
  await w.play([id]);
  const times = w.attempts.filter((a) => a.id === id).map((a) => a.at);
  expect(times).toHaveLength(2);
  expect((times[1]! - times[0]!) / 1000).toBeLessThanOrEqual(3600 + 900);
  expect(sink.deliveries().map((d) => d.id)).toEqual([id]);
});

it('waits out Bitbucket\'s rate limit however long it lasts, without counting it toward giving up', async () => {
  const w = await world();
  // Bitbucket answers 429 without Retry-After for 50 minutes (longer than eight tries at the backoff).
  const limitedUntil = w.now() + 50 * 60_000;
  w.ctx.buildBody = async () => {
    if (w.now() < limitedUntil) throw new BitbucketError('rate-limited', 429, '/2.0/repositories/w/r/pullrequests/1', 'Bitbucket answered 429: Rate limit for this resource has been exceeded');
    return '{"pullrequest":{"id":1}}';
  };
  const id = await w.stage(4, { body: undefined });
  const delays = await w.play([id]);
  expect(Math.max(...delays)).toBeLessThanOrEqual(900);
  expect(sink.deliveries().map((d) => d.id)).toEqual([id]);
  expect(await outboxStore(w.store).getDead(id)).toBeUndefined();
  // Nothing was attempted at PanDev while it waited.
  expect(w.attempts).toHaveLength(1);
  expect(await recentOutcomes(w.store, w.now())).toMatchObject({ delivered: 1, retried: 0, dead: 0 });
});

it('groups waits that are close, soonest group first, each retried after the longest wait it holds (one may be a Retry-After)', () => {
  const groups = groupWaits([
    { id: 'a', seconds: 600, reason: 'r' },
    { id: 'b', seconds: 20, reason: 'r' },
    { id: 'c', seconds: 23, reason: 'r' },
    { id: 'd', seconds: 700, reason: 'r' },
  ]);
  expect(groups).toEqual([
    { ids: ['b', 'c'], afterSeconds: 23, reason: 'r' },
    { ids: ['a', 'd'], afterSeconds: 700, reason: 'r' },
  ]);
});
