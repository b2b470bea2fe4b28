import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCommand } from '../helpers/cli';
import { dcEnv, FAST_TUNING, fastClock, inProcessBridge, outboxEntries, PANDEV, settledPass, until, type DcEnv } from './helpers';

// A delivery that met PanDev down (503) just before PanDev began refusing the token waits out a retry
// planned minutes later. `check` lifting the pause counts it apart from what the pause held: the running
// bridge sends the held ones at once and leaves that one to its retry; a bridge started later keeps that time.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'check-resume-retry-waiting', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 2, corruptPullRequest: false })));
afterAll(() => env.stop());

it('`check` counts a delivery waiting out its retry apart from those the pause held, and the running bridge sends only those now', async () => {
  const db = path.join(env.dir, 'retrying.db');
  const tokenFile = path.join(env.dir, 'pandev-token');
  writeFileSync(tokenFile, 'revoked-ingest-token\n', { mode: 0o600 });
  const files = { BRIDGE_DB: db, PANDEV_TOKEN: '', PANDEV_TOKEN_FILE: tokenFile };
  // Retries 5 to 10 minutes off: the one planned stays in the future for the whole test.
  const config = { ...env.config(files), tuning: { ...FAST_TUNING, baseDelaySeconds: 600, maxDelaySeconds: 900 } };
  const lines: string[] = [];
  env.sink.respondNext(503, 1, 'Service Unavailable');
  let running = await inProcessBridge(config, lines);
  let waiting: string;
  let plannedAt: number;
  try {
    await settledPass(running);
    expect(env.sink.rejected().map((r) => r.status)).toEqual(expect.arrayContaining([503, 401]));
    const checkedAt = Date.now();
    const entries = await outboxEntries(db);
    const later = entries.filter((e) => e.nextAttemptAt > checkedAt).map((e) => e.id);
    const held = entries.filter((e) => e.nextAttemptAt <= checkedAt).map((e) => e.id);
    expect(later).toHaveLength(1);
    expect(held.length).toBeGreaterThan(1);
    waiting = later[0]!;
    plannedAt = entries.find((e) => e.id === waiting)!.nextAttemptAt;

    writeFileSync(tokenFile, `${PANDEV.token}\n`);
    const check = await runCommand(['check'], { ...env.env, ...files });
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(
      new RegExp(`deliveries PanDev paused earlier are resumed: ${held.length} kept deliveries in the outbox; a running bridge starts sending them within 2 seconds, a stopped one as it starts; 1 more waits out a retry planned within (5|6|7|8|9|10|11) min: the bridge sends it then \\(a stopped one, then or as it starts, whichever is later\\)`),
    );

    await until(() => env.sink.deliveries().length >= held.length, 30_000, 'the held deliveries to reach PanDev');
    await running.bridge.queue.idle();
    const sent = env.sink.deliveries().map((d) => d.id);
    expect(held.filter((id) => sent.filter((s) => s === id).length !== 1)).toEqual([]);
    expect(sent).not.toContain(waiting);
    expect((await outboxEntries(db)).map((e) => e.id)).toEqual([waiting]);
    expect(lines.some((line) => line.includes(`the connection check lifted the pause: ${held.length} kept deliveries are being sent now; 1 waiting out a retry planned later go then`))).toBe(true);
  } finally {
    await running.stop();
  }

  // As `check` said: a bridge that starts sends the retry at its planned time, not before (its minutes pass in seconds here).
  const scale = 0.005;
  const clock = fastClock(scale);
  running = await inProcessBridge(config, [], { clock, timeScale: scale });
  try {
    await running.bridge.queue.idle();
    expect(env.sink.deliveries().filter((d) => d.id === waiting)).toEqual([]);
    await until(() => env.sink.deliveries().some((d) => d.id === waiting), 30_000, 'the retry to reach PanDev at its planned time');
  } finally {
    await running.stop();
  }
  const retried = env.sink.deliveries().filter((d) => d.id === waiting);
  expect(retried).toHaveLength(1);
  expect(clock.toClock(retried[0]!.receivedAt)).toBeGreaterThanOrEqual(plannedAt!);
  expect(env.sink.duplicates()).toBe(0);
  expect(await outboxEntries(db)).toEqual([]);
});
