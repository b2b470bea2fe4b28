import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startBridge } from '../../src/bridge/runner';
import { dcEnv, deliveredPullRequestEvents, exited, expectedPullRequestEvents, FAST_TUNING, outboxEntries, quietLogger, sorted, until, type DcEnv } from './helpers';

// SIGTERM during a backfill while PanDev hangs: systemd and Kubernetes give 30 s before SIGKILL. A poll
// that found more than the queue has room for waits for PanDev to take some, and every forward works
// through its batch one delivery after another; the stop must end neither wait's way, but at once
// (the current attempts finish), and the next start must deliver everything exactly once.

const CONCURRENCY = 8; // the bridge's delivery workers
const TUNING = { ...FAST_TUNING, deliveryTimeoutMs: 1000 };

describe('stopping while PanDev holds every delivery', () => {
  let env: DcEnv;
  beforeAll(async () => (env = await dcEnv({ seed: 'orderly', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 12, corruptPullRequest: false })));
  afterAll(() => env.stop());

  it('stops without attempting the waiting deliveries, and delivers each once after a restart', async () => {
    const config = { ...env.config(), tuning: TUNING };
    // PanDev accepts the connection and never answers.
    env.sink.setFaults({ share: 1, kinds: ['timeout'], holdMs: 600_000 });
    const lines: string[] = [];
    const running = await startBridge(config, { manual: true, log: quietLogger(lines), timeScale: 1, queueRoom: 5 });
    const pass = running.runPass();
    // Every worker is in an attempt PanDev does not answer, and the poll found more than there is room for.
    await until(() => env.sink.received() >= CONCURRENCY && running.bridge.queue.pending > CONCURRENCY + 5, 30_000, 'the workers busy and the queue full');
    const atStop = env.sink.received();
    const outcome = await Promise.race([
      running.stop().then(() => 'stopped' as const),
      // More attempts than there were workers in an attempt when it was asked: deliveries went on.
      until(() => env.sink.received() > atStop + CONCURRENCY, 60_000, 'more attempts').then(() => 'kept delivering' as const),
    ]);
    expect(outcome).toBe('stopped');
    expect((await pass).failed).toBe(0);
    expect(lines.map((line) => JSON.parse(line).msg)).toContain('bridge stopped');
    expect(env.sink.deliveries()).toEqual([]);

    env.sink.setFaults(null);
    const again = await startBridge(config, { manual: true, log: quietLogger(), timeScale: 1 });
    try {
      await again.runPass();
      // Deliveries the hang made retry many times wait out their backoff (a timer) first.
      await again.bridge.queue.idle(60_000);
      expect(sorted(deliveredPullRequestEvents(env.sink))).toEqual(sorted(expectedPullRequestEvents(env.sim)));
      expect(env.sink.duplicates()).toBe(0);
      expect(again.bridge.store.count('outbox:')).toBe(0);
    } finally {
      await again.stop();
    }
  });
});

describe('stopping while an attempt outlasts the grace', () => {
  let env: DcEnv;
  beforeAll(async () => (env = await dcEnv({ seed: 'grace', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 6, corruptPullRequest: false })));
  afterAll(() => env.stop());

  it('ends the attempts in flight before the state file closes, and counts them', async () => {
    // A delivery timeout past the stop's grace (the tuning allows 60 s, the grace is 20 s).
    const config = { ...env.config(), tuning: { ...FAST_TUNING, deliveryTimeoutMs: 60_000 } };
    env.sink.setFaults({ share: 1, kinds: ['timeout'], holdMs: 600_000 });
    const lines: string[] = [];
    const running = await startBridge(config, { manual: true, log: quietLogger(lines), timeScale: 1 });
    void running.runPass();
    await until(() => env.sink.received() >= CONCURRENCY, 30_000, 'every worker in an attempt');
    // The grace runs out at once: what 20 s are to an attempt of up to 60.
    void running.bridge.queue.close(0);
    await running.stop();

    // Each attempt PanDev never answered is on record as one (the next start sends attempt 2)...
    expect((await outboxEntries(config.bridge.db)).filter((entry) => entry.attempts === 1)).toHaveLength(env.sink.received());
    // ...and nothing wrote to a closed state file.
    expect(lines.map((line) => JSON.parse(line).msg).filter((msg: string) => /forwarding failed|delivery step failed/.test(msg))).toEqual([]);
  });
});

describe.each(['SIGTERM', 'SIGINT'] as const)('%s, twice, to the CLI during its first backfill while PanDev hangs', (signal) => {
  let env: DcEnv;
  beforeAll(async () => (env = await dcEnv({ seed: `cli-${signal}`, projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 12, corruptPullRequest: false })));
  afterAll(() => env.stop());

  it('ends with exit code 0 and "bridge stopped", without starting more deliveries; the second signal waits for the stop', async () => {
    env.sink.setFaults({ share: 1, kinds: ['timeout'], holdMs: 600_000 });
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../../src/cli/main.ts'), 'bridge', '--config', env.yaml()], {
      cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, ...env.env, BRIDGE_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const messages: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => messages.push(JSON.parse(line).msg));
    let said = '';
    child.stderr!.on('data', (chunk) => (said += chunk));
    const exit = exited(child);
    await until(() => env.sink.received() >= CONCURRENCY, 60_000, 'every delivery worker in an attempt');
    const atSignal = env.sink.received();
    child.kill(signal);
    // An impatient operator presses Ctrl-C again (or the service manager repeats its SIGTERM) mid-stop.
    await until(() => said.includes(`${signal}: stopping the bridge`), 10_000, 'the stop under way');
    child.kill(signal);
    await until(() => said.includes(`${signal}: already stopping`), 10_000, 'the second signal answered');
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(messages.at(-1)).toBe('bridge stopped');
    expect(messages.filter((msg) => /forwarding failed|delivery step failed/.test(msg))).toEqual([]);
    expect(env.sink.received() - atSignal).toBeLessThanOrEqual(CONCURRENCY);
  });
});
