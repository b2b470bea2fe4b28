import path from 'node:path';
import { StatusReport } from '../../src/bridge/cli/status';
import { EPISODE_GAP_MS, rateLimited, rateLimitRecorder } from '../../src/bridge/poll/rate-limited';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { runCommand } from '../helpers/cli';
import { dcEnv, inProcessBridge, settledPass, type DcEnv } from './helpers';

// Bitbucket answering 429 slows the bridge down, which is the plan: it waits (Retry-After) and goes on,
// and only many refusals in a row fail a repository. `status` says it is happening, since when and until
// when, as information (exit 0); only an episode longer than an hour needs someone to look.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'status-rate-limit', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 2, corruptPullRequest: false })));
afterAll(() => env.stop());

async function status(db: string) {
  const json = await runCommand(['status', '--json'], { BRIDGE_DB: db });
  const text = await runCommand(['status'], { BRIDGE_DB: db });
  return { code: json.code, report: StatusReport.parse(JSON.parse(json.stdout)), text: text.stdout };
}

it('while Data Center\'s rate limiter refuses the bridge, status says so with since and until, exit code unchanged; the line goes once the episode is over', async () => {
  const db = path.join(env.dir, 'limited.db');
  // The bridge's clock, moved on past the episode's end below; Data Center's waits stay real (Retry-After).
  let ahead = 0;
  const running = await inProcessBridge(env.config({ BRIDGE_DB: db }), [], { clock: { now: () => Date.now() + ahead } });
  try {
    expect((await settledPass(running)).failed).toBe(0);
    expect((await status(db)).report.rateLimited).toBeNull();

    // One request every four seconds: a 429 with Retry-After for nearly every request.
    env.sim.setRateLimit({ capacity: 1, refillPerSecond: 0.25 });
    let passDone = false;
    const pass = running.runPass().finally(() => (passDone = true));
    // Until the bridge has met a 429 (or, were it not to say so, the pass is over).
    while (!passDone && !(await rateLimited(running.bridge.store))) await new Promise((resolve) => setTimeout(resolve, 50));
    const during = await status(db);
    env.sim.setRateLimit(null);
    expect(during.code).toBe(0);
    expect(during.report.attention).toEqual([]);
    const limited = during.report.rateLimited!;
    expect(Date.parse(limited.until)).toBeGreaterThan(Date.parse(limited.since));
    expect(during.text).toContain(`rate limit  Bitbucket is rate-limiting the bridge (429) since ${limited.since}`);
    expect(during.text).toMatch(/Nothing to fix; if it lasts, raise the limit for this user in Bitbucket .* lower BITBUCKET_CONCURRENCY/);
    expect(during.text).toContain('nothing needs attention');
    expect((await pass).failed).toBe(0);

    // Answers soon after a 429 are the same episode (a bucket lets one through after each wait); past
    // the gap, the next answer ends it.
    ahead = EPISODE_GAP_MS;
    expect((await settledPass(running)).failed).toBe(0);
    const after = await status(db);
    expect(after.report.rateLimited).toBeNull();
    expect(after.text).not.toContain('rate-limiting');
  } finally {
    env.sim.setRateLimit(null);
    await running.stop();
  }
}, 120_000);

/** An hour and five minutes of 429s as the edition's running bridge records them, and what `status` makes of it. */
async function hourOf429s(db: string, edition: 'datacenter' | 'cloud') {
  const store = openSqliteStore(db);
  let now = Date.parse('2026-11-27T08:00:00Z');
  const recorder = rateLimitRecorder(store, { now: () => now }, edition);
  try {
    // A 429 every few minutes, each answered by a wait, for an hour and more: one episode.
    for (let minute = 0; minute <= 65; minute += 5) {
      now = Date.parse('2026-11-27T08:00:00Z') + minute * 60_000;
      await recorder.answered();
      await recorder.limited(60_000);
    }
  } finally {
    store.close();
  }
  return status(db);
}

it('an episode of 429s longer than an hour needs attention (exit 1), with what to change', async () => {
  const { code, report, text } = await hourOf429s(path.join(env.dir, 'hour.db'), 'datacenter');
  expect(code).toBe(1);
  expect(report.attention).toEqual([
    expect.objectContaining({ kind: 'rate-limited', at: '2026-11-27T08:00:00.000Z', message: expect.stringMatching(/429\) for 1 h 5 min: nothing to fix; if it lasts, raise the limit for this user in Bitbucket .* lower BITBUCKET_CONCURRENCY \/ BITBUCKET_REQUESTS_PER_SECOND$/) }),
  ]);
  expect(report.rateLimited).toEqual({ since: '2026-11-27T08:00:00.000Z', lastAt: '2026-11-27T09:05:00.000Z', until: '2026-11-27T09:06:00.000Z', advice: expect.stringMatching(/^nothing to fix; if it lasts, raise the limit/) });
  expect(text).toMatch(/Nothing to fix; if it lasts, raise the limit for this user in Bitbucket/);
}, 60_000);

it('on Cloud, whose hour per user cannot be raised, the advice is to pace the bridge or move other tools off its token', async () => {
  const { code, report, text } = await hourOf429s(path.join(env.dir, 'hour-cloud.db'), 'cloud');
  expect(code).toBe(1);
  const advice = "nothing to fix; if it lasts, lower BITBUCKET_REQUESTS_PER_HOUR so the bridge paces itself within Cloud's hour (Cloud's limit per user cannot be raised), or move other tools off this user or token (give the bridge an access token of its own: each has its own hour)";
  expect(report.attention).toEqual([expect.objectContaining({ kind: 'rate-limited', message: `Bitbucket has been rate-limiting the bridge (429) for 1 h 5 min: ${advice}` })]);
  expect(report.rateLimited?.advice).toBe(advice);
  expect(text).not.toMatch(/raise the limit|BITBUCKET_CONCURRENCY/);
}, 60_000);
