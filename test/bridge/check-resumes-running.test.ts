import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCommand } from '../helpers/cli';
import { dcEnv, inProcessBridge, outboxEntries, PANDEV, settledPass, until, type DcEnv } from './helpers';

// `check` runs in a process of its own, beside the bridge that owns the state file. When it lifts the
// pause PanDev's refusal put on deliveries, the running bridge sends what the pause kept within seconds:
// the operator who fixed the token should not wait for its five-minute outbox sweep, nor restart it.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'check-resumes-running', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 2, corruptPullRequest: false })));
afterAll(() => env.stop());

it('a passing `check` beside a running, paused bridge has that bridge send the kept deliveries, once each, without its sweep', async () => {
  const db = path.join(env.dir, 'running.db');
  const tokenFile = path.join(env.dir, 'pandev-token');
  // PanDev revoked the token the file holds; the right one reaches the file later, while the bridge runs.
  writeFileSync(tokenFile, 'revoked-ingest-token\n', { mode: 0o600 });
  const files = { BRIDGE_DB: db, PANDEV_TOKEN: '', PANDEV_TOKEN_FILE: tokenFile };
  const lines: string[] = [];
  const running = await inProcessBridge(env.config(files), lines);
  try {
    await settledPass(running);
    const kept = (await outboxEntries(db)).map((entry) => entry.id);
    expect(kept.length).toBeGreaterThan(0);
    expect(env.sink.deliveries()).toHaveLength(0);
    expect(await running.bridge.metrics.registry.metrics()).toMatch(/^pandev_bridge_deliveries_paused 1$/m);

    writeFileSync(tokenFile, `${PANDEV.token}\n`);
    const check = await runCommand(['check'], { ...env.env, ...files });
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`deliveries PanDev paused earlier are resumed: ${kept.length} kept deliveries in the outbox; a running bridge starts sending them within 2 seconds, a stopped one as it starts`);

    // No pass, no sweep, no restart: only the running bridge noticing the check can send them.
    await until(() => env.sink.deliveries().length >= kept.length, 30_000, 'the kept deliveries to reach PanDev');
    await running.bridge.queue.idle();
    const sent = env.sink.deliveries().map((d) => d.id);
    expect(kept.filter((id) => sent.filter((s) => s === id).length !== 1)).toEqual([]);
    expect(env.sink.duplicates()).toBe(0);
    expect(running.bridge.store.count('outbox:')).toBe(0);
    expect(running.bridge.store.count('dead:')).toBe(0);
    expect(lines.some((line) => line.includes(`the connection check lifted the pause: ${kept.length} kept deliveries are being sent now`))).toBe(true);
    expect(lines.some((line) => line.includes(PANDEV.token) || line.includes('revoked-ingest-token'))).toBe(false);
  } finally {
    await running.stop();
  }
});
