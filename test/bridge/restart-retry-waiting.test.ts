import path from 'node:path';
import { dcEnv, FAST_TUNING, fastClock, inProcessBridge, outboxEntries, settledPass, until, type DcEnv } from './helpers';

// Deliveries waiting out a retry when the bridge stops (PanDev answered 503, or 429 with Retry-After:
// 3600) keep their planned time when it starts again: a restart, or a service manager restarting a
// crashing bridge in a loop, must not send PanDev at once what it asked to have later.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'restart-retry-waiting', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false })));
afterAll(() => env.stop());

it('a started bridge attempts no delivery before its planned retry, and sends each when it is due', async () => {
  const db = path.join(env.dir, 'restart.db');
  // Backoffs of 5 to 10 minutes, and a Retry-After past the longest one (kept as notBefore).
  const config = { ...env.config({ BRIDGE_DB: db }), tuning: { ...FAST_TUNING, baseDelaySeconds: 600, maxDelaySeconds: 900 } };
  env.sink.respondNext(503, 1, 'Service Unavailable');
  env.sink.setFaults({ share: 1, kinds: ['429'], retryAfterSeconds: 3600 });
  const first = await inProcessBridge(config);
  try {
    await settledPass(first);
  } finally {
    await first.stop();
  }
  env.sink.setFaults(null);
  const entries = await outboxEntries(db);
  const backedOff = entries.filter((e) => e.lastStatus === 503);
  const told = entries.filter((e) => e.lastStatus === 429);
  expect(backedOff).toHaveLength(1);
  expect(told.length).toBeGreaterThan(1);
  expect(told.every((e) => e.notBefore !== undefined)).toBe(true);
  expect(env.sink.deliveries()).toEqual([]);
  const attemptsBefore = env.sink.received();

  // An hour of the bridge's time passes in 7.2 s.
  const scale = 0.002;
  const clock = fastClock(scale);
  const second = await inProcessBridge(config, [], { clock, timeScale: scale });
  try {
    await second.bridge.queue.idle();
    expect(env.sink.received()).toBe(attemptsBefore);

    await until(() => env.sink.deliveries().length === entries.length, 30_000, 'every waiting delivery to reach PanDev');
    await second.bridge.queue.idle();
  } finally {
    await second.stop();
  }
  const planned = new Map(entries.map((e) => [e.id, Math.max(e.nextAttemptAt, e.notBefore ?? 0)]));
  const early = env.sink.deliveries().filter((d) => clock.toClock(d.receivedAt) < planned.get(d.id)!);
  expect(early.map((d) => d.id)).toEqual([]);
  // One attempt each after the start: none was tried early and refused or held.
  expect(env.sink.received() - attemptsBefore).toBe(entries.length);
  expect(env.sink.deliveries().map((d) => d.attempt)).toEqual(entries.map(() => 2));
  expect(env.sink.duplicates()).toBe(0);
  expect(await outboxEntries(db)).toEqual([]);
});
