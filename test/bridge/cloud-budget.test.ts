import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readStatus } from '../../src/bridge/cli/status';
import { stale, startBridge } from '../../src/bridge/runner';
import { startCloudSimulator, type CloudSimulator } from '../../src/sandbox/cloud-sim';
import { startPanDevSink, type PanDevSink } from '../../src/sandbox/pandev-sink';
import { cloudConfig, PANDEV, quietLogger, stuckClock, virtualClock } from './helpers';

// Bitbucket Cloud allows about 1,000 requests per rolling hour per credential, and answers 429 with
// no Retry-After past it. A Cloud bridge's first pass (the backfill of BRIDGE_BACKFILL_DAYS) of even
// a small workspace costs more than a small hour: it must wait for requests to leave the hour, as the
// Forge app's planned work does, not hammer Bitbucket and mark repositories failing.

let sink: PanDevSink;
let dir: string;
beforeAll(async () => {
  sink = await startPanDevSink({ secret: PANDEV.secret, token: PANDEV.token });
  dir = mkdtempSync(path.join(tmpdir(), 'pandev-bridge-cloud-budget-'));
});
afterAll(async () => {
  await sink.stop();
  rmSync(dir, { recursive: true, force: true });
});

const config = (sim: CloudSimulator, db: string, extra: Record<string, string> = {}) => cloudConfig({ sim, sink }, path.join(dir, db), extra);

it('a backfill larger than Cloud\'s hour waits for the hour instead of running into 429s', async () => {
  const clock = virtualClock(Date.now());
  const sim = await startCloudSimulator({ seed: 'bridge-cloud-budget', repositories: 6, rateLimitPerHour: 60, clock });
  const lines: string[] = [];
  const running = await startBridge(config(sim, 'hour.db', { BITBUCKET_REQUESTS_PER_HOUR: '60' }), { manual: true, log: quietLogger(lines), timeScale: 1, clock });
  try {
    const startedAt = clock.now();
    const summary = await running.runPass();
    await running.bridge.queue.idle();
    const stats = sim.stats();
    const status = await readStatus(running.bridge.store);
    expect({ rateLimited: stats.rateLimited, failed: summary.failed }).toEqual({ rateLimited: 0, failed: 0 });
    expect(status.attention.filter((item) => item.kind === 'repository-failing')).toEqual([]);
    // Costlier than one hour allows, so the pass had to wait for the rolling hour to drain.
    expect(stats.total).toBeGreaterThan(60);
    expect(clock.now() - startedAt).toBeGreaterThan(3_600_000);
    expect(sink.deliveries().some((d) => d.eventKey === 'pullrequest:fulfilled')).toBe(true);
    // The operator sees why it is slow and when it goes on.
    expect(lines.some((line) => /hourly request budget/.test(line) && /"resumeAt"/.test(line))).toBe(true);
  } finally {
    await running.stop();
    await sim.stop();
  }
}, 600_000);

it('a 429 from an hour someone else spent blocks the budget for minutes, and the pass waits it out', async () => {
  const clock = virtualClock(Date.now());
  const sim = await startCloudSimulator({ seed: 'bridge-cloud-shared', repositories: 2, rateLimitPerHour: 60, clock });
  // Another tool with the same API token has just spent the whole hour: the bridge's own count says 0.
  const basic = `Basic ${Buffer.from(`${sim.credentials.admin.email}:${sim.credentials.admin.apiToken}`).toString('base64')}`;
  for (let i = 0; i < 60; i++) await fetch(`${sim.url}/2.0/user`, { headers: { Authorization: basic } }).then((r) => r.text());
  expect(sim.stats().rateLimited).toBe(0);
  const lines: string[] = [];
  const running = await startBridge(config(sim, 'shared.db', { BITBUCKET_REQUESTS_PER_HOUR: '60' }), { manual: true, log: quietLogger(lines), timeScale: 1, clock });
  try {
    const summary = await running.runPass();
    await running.bridge.queue.idle();
    expect(summary).toMatchObject({ repositories: 2, failed: 0 });
    expect((await readStatus(running.bridge.store)).attention.filter((item) => item.kind === 'repository-failing')).toEqual([]);
    // 1, 2, 4 … minutes between tries: a handful of 429s until the other tool's hour has drained.
    const rateLimited = sim.stats().rateLimited;
    expect(rateLimited).toBeGreaterThan(0);
    expect(rateLimited).toBeLessThanOrEqual(8);
    expect(sink.deliveries().some((d) => d.headers['x-pandev-origin'] === 'poll' || d.headers['x-pandev-origin'] === 'reconcile')).toBe(true);
  } finally {
    await running.stop();
    await sim.stop();
  }
}, 600_000);

it('/healthz stays up while a pass waits for the hour to drain', () => {
  const minute = 60_000;
  const waiting = { now: 120 * minute, startedAt: 0, passRunning: true, lastAnswerAt: 60 * minute, pollSeconds: 60 };
  expect(stale(waiting)).toBe(true);
  expect(stale({ ...waiting, budgetWaitUntil: 130 * minute })).toBe(false);
  expect(stale({ ...waiting, budgetWaitUntil: 110 * minute })).toBe(true);
});

it('a stop while the pass waits for the hour ends the wait at once, and fails no repository', async () => {
  const clock = virtualClock(Date.now());
  // A wait that only a stop ends: the test looks at the bridge while it waits for the hour.
  const { clock: stuck, waited } = stuckClock(clock);
  const sim = await startCloudSimulator({ seed: 'bridge-cloud-budget', repositories: 6, rateLimitPerHour: 60, clock });
  const running = await startBridge(config(sim, 'stop.db', { BITBUCKET_REQUESTS_PER_HOUR: '60' }), { manual: true, log: quietLogger(), timeScale: 1, clock: stuck });
  try {
    const pass = running.runPass();
    await waited;
    await running.stop();
    const summary = await pass;
    expect(summary.failed).toBe(0);
    expect(summary.stopped).toBeGreaterThan(0);
    expect(sim.stats().rateLimited).toBe(0);
  } finally {
    await running.stop();
    await sim.stop();
  }
});
