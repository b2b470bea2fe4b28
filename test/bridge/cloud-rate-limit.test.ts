import path from 'node:path';
import { StatusReport } from '../../src/bridge/cli/status';
import { runCommand } from '../helpers/cli';
import { cloudConfig, cloudEnv, inProcessBridge, virtualClock } from './helpers';

// Bitbucket Cloud's limit is a rolling hour per user, answered with a plain-text 429 and no
// Retry-After; the bridge backs off 1, 2, 4 … up to 30 minutes between tries. Here another tool with
// the same token spends the hour again each time the bridge wakes, for two hours: one long refusal,
// which `status` must show as it lasts and, past an hour, as needing attention.

const HOUR_MS = 3_600_000;

it('Cloud\'s rolling hour spent by another tool for two hours: status shows the 429s as one episode, and past an hour needs attention with Cloud\'s advice', async () => {
  const clock = virtualClock(Date.now());
  const startedAt = clock.now();
  const env = await cloudEnv('bridge-cloud-429', 1, { rateLimitPerHour: 20, clock });
  const { sim, sink, dir } = env;
  const db = path.join(dir, 'limited.db');
  const basic = `Basic ${Buffer.from(`${sim.credentials.admin.email}:${sim.credentials.admin.apiToken}`).toString('base64')}`;
  const otherTool = async () => {
    for (;;) {
      const answer = await fetch(`${sim.url}/2.0/user`, { headers: { Authorization: basic } });
      const text = await answer.text();
      if (answer.status === 429) return text;
    }
  };
  const status = async () => {
    const json = await runCommand(['status', '--json'], { BRIDGE_DB: db });
    const text = await runCommand(['status'], { BRIDGE_DB: db });
    return { code: json.code, report: StatusReport.parse(JSON.parse(json.stdout)), text: text.stdout };
  };
  expect(await otherTool()).toBe('Rate limit for this resource has been exceeded');
  // Looked at while the bridge waits, once the refusal has lasted past the hour.
  let seen: Awaited<ReturnType<typeof status>> | undefined;
  const waits = {
    now: () => clock.now(),
    async sleep(ms: number, signal?: AbortSignal) {
      await clock.sleep(ms, signal);
      if (clock.now() - startedAt < 2 * HOUR_MS) await otherTool();
      else if (!seen) seen = await status();
    },
  };
  const running = await inProcessBridge(cloudConfig({ sim, sink }, db), [], { clock: waits });
  try {
    const summary = await running.runPass();
    expect(sim.stats().rateLimited).toBeGreaterThan(6);
    expect(summary).toMatchObject({ repositories: 1, failed: 0 });
  } finally {
    await running.stop();
    await env.stop();
  }
  expect(seen).toBeDefined();
  const { code, report, text } = seen!;
  expect(code).toBe(1);
  const since = new Date(startedAt).toISOString();
  expect(report.rateLimited?.since).toBe(since);
  expect(Date.parse(report.rateLimited!.lastAt) - startedAt).toBeGreaterThan(HOUR_MS);
  expect(report.attention).toEqual([
    expect.objectContaining({ kind: 'rate-limited', at: since, message: expect.stringMatching(/^Bitbucket has been rate-limiting the bridge \(429\) for 1 h \d+ min: nothing to fix; if it lasts, lower BITBUCKET_REQUESTS_PER_HOUR so the bridge paces itself/) }),
  ]);
  // Cloud's hour per user is fixed: no advice to raise it.
  expect(report.attention[0]!.message).not.toMatch(/raise the limit/);
  expect(text).toContain(`rate limit  Bitbucket is rate-limiting the bridge (429) since ${since}`);
}, 300_000);
