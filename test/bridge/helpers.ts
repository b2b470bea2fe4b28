import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/bridge/config/load';
import type { BridgeConfig } from '../../src/bridge/config/schema';
import { bridgeLogger, type BridgeLogger } from '../../src/bridge/ops/logger';
import { startBridge, type StartOptions } from '../../src/bridge/runner';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { outboxStore, type OutboxEntry } from '../../src/core/deliver/outbox';
import { startCloudSimulator, type CloudSimulator, type CloudSimulatorOptions } from '../../src/sandbox/cloud-sim';
import { signature, startDcSimulator, type DcSimulator, type DcSimulatorOptions } from '../../src/sandbox/dc-sim';
import { findPullRequest } from '../../src/sandbox/dc-sim/model/pull-requests';
import { startPanDevSink, type PanDevSink } from '../../src/sandbox/pandev-sink';

// The bridge's tests run the real thing over loopback: the Data Center simulator, the PanDev
// receiver, a SQLite file in a temporary folder, and the bridge itself (in this process or as a child).

export const PANDEV = { token: 'bridge-test-token', secret: 'bridge-test-secret' };
export const WEBHOOK_SECRET = 'dc-webhook-secret';

/** Retries compressed so a test does not wait 30 s for a second attempt; the policy is otherwise the app's. */
export const FAST_TUNING = { baseDelaySeconds: 0.05, maxDelaySeconds: 0.5, deliveryTimeoutMs: 3000 };

export interface DcEnv {
  sim: DcSimulator;
  sink: PanDevSink;
  dir: string;
  env: Record<string, string>;
  config(extra?: Record<string, string>): BridgeConfig;
  /** A YAML file with the test tuning (overridden by `tuning`), for child processes. */
  yaml(tuning?: Partial<typeof FAST_TUNING>): string;
  stop(): Promise<void>;
}

export async function dcEnv(options: DcSimulatorOptions = {}): Promise<DcEnv> {
  const sim = await startDcSimulator({ seed: 'bridge', historyDays: 25, rateLimit: null, ...options });
  const sink = await startPanDevSink({ secret: PANDEV.secret, token: PANDEV.token });
  const dir = mkdtempSync(path.join(tmpdir(), 'pandev-bridge-'));
  const env: Record<string, string> = {
    BITBUCKET_EDITION: 'datacenter',
    BITBUCKET_URL: sim.url,
    BITBUCKET_TOKEN: sim.credentials.admin.token,
    PANDEV_URL: sink.url,
    PANDEV_TOKEN: PANDEV.token,
    PANDEV_SIGNING_SECRET: PANDEV.secret,
    BRIDGE_DB: path.join(dir, 'state.db'),
    BRIDGE_LISTEN: '127.0.0.1:0',
    BRIDGE_BACKFILL_DAYS: '30',
    BRIDGE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    BITBUCKET_REQUESTS_PER_SECOND: '1000',
    BITBUCKET_CONCURRENCY: '4',
  };
  return {
    sim,
    sink,
    dir,
    env,
    config: (extra = {}) => ({ ...loadConfig({ env: { ...env, ...extra } }), tuning: FAST_TUNING }),
    yaml(overrides = {}) {
      const tuning = { ...FAST_TUNING, ...overrides };
      const file = path.join(dir, 'config.yaml');
      writeFileSync(file, `tuning:\n  baseDelaySeconds: ${tuning.baseDelaySeconds}\n  maxDelaySeconds: ${tuning.maxDelaySeconds}\n  deliveryTimeoutMs: ${tuning.deliveryTimeoutMs}\n`);
      return file;
    },
    async stop() {
      await Promise.all([sim.stop(), sink.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A one-repository instance whose seeded history ended 40 days ago, outside the 30-day window, and
 * whose clock is still there: what is made now is older than the window, until `today()`.
 */
export async function dcEnvLongAgo(seed: string): Promise<DcEnv & { today(): void }> {
  let now = Date.now() - 40 * 86_400_000;
  const env = await dcEnv({ seed, projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 0, corruptPullRequest: false, baseTime: now, historyDays: 5, clock: { now: () => now } });
  return { ...env, today: () => void (now = Date.now()) };
}

/**
 * Time that passes only when someone waits: Cloud's hourly budget waits minutes to hours, and a
 * simulator given the same clock drains its rate-limit window with it.
 */
export function virtualClock(start: number) {
  let now = start;
  return {
    now: () => now,
    // Waiters of one moment all wake at their own end; time never goes back.
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw Object.assign(new Error('stopped while waiting'), { name: 'AbortError' });
      const wakeAt = now + ms;
      await new Promise((resolve) => setImmediate(resolve));
      now = Math.max(now, wakeAt);
    },
  };
}

/**
 * The bridge's time running `1 / scale` times faster than the wall clock from now on, for a bridge
 * started with `timeScale: scale`: its queue's delays shrink by `scale`, and so must the time the
 * pipeline compares planned attempts with, or a retry planned an hour out would wait a real hour.
 */
export function fastClock(scale: number) {
  const start = Date.now();
  const toClock = (wall: number) => start + (wall - start) / scale;
  return { now: () => toClock(Date.now()), toClock };
}

/**
 * A clock whose waits never end but by a stop, as a real hour would outlast the grace before SIGKILL:
 * `waited` resolves once the bridge waits on it, so a test can look at the bridge while it does.
 */
export function stuckClock(clock: { now(): number }): { clock: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> }; waited: Promise<void> } {
  let waiting: () => void = () => undefined;
  const waited = new Promise<void>((resolve) => (waiting = resolve));
  const stuck = {
    now: () => clock.now(),
    sleep: (_ms: number, signal?: AbortSignal) =>
      new Promise<void>((_, reject) => {
        waiting();
        signal?.addEventListener('abort', () => reject(Object.assign(new Error('stopped while waiting'), { name: 'AbortError' })), { once: true });
      }),
  };
  return { clock: stuck, waited };
}

export function quietLogger(lines: string[] = []): BridgeLogger {
  const destination = { write: (line: string) => void lines.push(line) } as unknown as NodeJS.WritableStream;
  return bridgeLogger({ level: 'info', destination });
}

/** A bridge in this process whose passes the test drives. */
export async function inProcessBridge(config: BridgeConfig, lines: string[] = [], options: Pick<StartOptions, 'clock' | 'timeScale' | 'pullRequestPages'> = {}) {
  return startBridge(config, { manual: true, log: quietLogger(lines), timeScale: 1, ...options });
}

/** One manual pass, and its deliveries handed to PanDev. */
export async function settledPass(running: Awaited<ReturnType<typeof inProcessBridge>>) {
  const summary = await running.runPass();
  await running.bridge.queue.idle();
  return summary;
}

/** A Data Center webhook as Data Center sends it to the bridge's listener (`signed` by the shared secret unless given). */
export function postWebhook(running: Awaited<ReturnType<typeof inProcessBridge>>, event: { eventKey: string; body: unknown }, signed?: string): Promise<Response> {
  const body = typeof event.body === 'string' ? event.body : JSON.stringify(event.body);
  return fetch(`${running.ops.webhookUrl}/webhooks/bitbucket`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Event-Key': event.eventKey, 'X-Hub-Signature': signed ?? signature(WEBHOOK_SECRET, body) },
    body,
  });
}

/** Until every saved webhook is handled and what it staged handed to PanDev. */
export async function webhooksHandled(running: Awaited<ReturnType<typeof inProcessBridge>>): Promise<void> {
  await until(() => running.bridge.store.count('dc:inbox:') === 0, 30_000, 'the saved webhooks to be handled');
  await running.bridge.queue.idle();
}

/** What Bitbucket Cloud answers a request its token has no scope for (`granted`: the scopes it has, where Cloud names them). */
export function scopeLacking(scope: string, granted?: string[]): string {
  return JSON.stringify({ type: 'error', error: { message: 'Your credentials lack one or more required privilege scopes.', detail: { required: [scope], ...(granted ? { granted } : {}) } } });
}

/** A Cloud workspace and PanDev for the bridge's Cloud edition, and a folder for its state. */
export async function cloudEnv(seed: string, repositories: number, options: Partial<CloudSimulatorOptions> = {}): Promise<{ sim: CloudSimulator; sink: PanDevSink; dir: string; stop(): Promise<void> }> {
  const sim = await startCloudSimulator({ seed, repositories, rateLimitPerHour: 0, ...options });
  const sink = await startPanDevSink({ secret: PANDEV.secret, token: PANDEV.token });
  const dir = mkdtempSync(path.join(tmpdir(), `pandev-${seed}-`));
  return {
    sim,
    sink,
    dir,
    async stop() {
      await Promise.all([sim.stop(), sink.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type CloudParts = Pick<Awaited<ReturnType<typeof cloudEnv>>, 'sim' | 'sink'>;

/**
 * The Cloud edition's environment against a Cloud simulator and PanDev receiver (cloudEnv), for a child
 * process or loadConfig: the admin's API token (Basic). An empty value unsets one: `BITBUCKET_USERNAME: ''`
 * with an access token in `BITBUCKET_TOKEN` authenticates with Bearer instead.
 */
export function cloudVars({ sim, sink }: CloudParts, db: string, extra: Record<string, string> = {}) {
  return {
    BITBUCKET_EDITION: 'cloud', BITBUCKET_URL: sim.url, BITBUCKET_WORKSPACE: sim.workspace.slug,
    BITBUCKET_USERNAME: sim.credentials.admin.email, BITBUCKET_TOKEN: sim.credentials.admin.apiToken,
    PANDEV_URL: sink.url, PANDEV_TOKEN: PANDEV.token, PANDEV_SIGNING_SECRET: PANDEV.secret,
    BRIDGE_DB: db, BRIDGE_LISTEN: '127.0.0.1:0', BITBUCKET_REQUESTS_PER_SECOND: '1000',
    ...extra,
  };
}

/** cloudVars loaded as the bridge's configuration, with the tests' fast retries. */
export function cloudConfig(parts: CloudParts, db: string, extra: Record<string, string> = {}): BridgeConfig {
  return { ...loadConfig({ env: cloudVars(parts, db, extra) }), tuning: FAST_TUNING };
}

/** A Data Center instance of one repository, a running bridge past its first pass (and its log lines), and that repository's PROJECT/slug. */
export async function oneRepositoryBridge(options: DcSimulatorOptions, start: Parameters<typeof inProcessBridge>[2] = {}) {
  const env = await dcEnv({ projects: 1, repositoriesPerProject: 1, corruptPullRequest: false, ...options });
  const lines: string[] = [];
  const running = await inProcessBridge(env.config(), lines, start);
  const repo = projectRepositories(env.sim)[0]!;
  await settledPass(running);
  return {
    env,
    running,
    lines,
    repository: `${repo.projectKey}/${repo.slug}`,
    async stop() {
      await running.stop();
      await env.stop();
    },
  };
}

/** Repositories of (non-personal) projects: the fork a personal project holds is not one of them. */
export function projectRepositories(sim: DcSimulator) {
  return sim.model.repositories.filter((repo) => sim.model.project(repo.projectKey)?.ownerId === undefined);
}

const activityKeys: Record<string, string> = {
  OPENED: 'pr:opened', MERGED: 'pr:merged', DECLINED: 'pr:declined', APPROVED: 'pr:reviewer:approved', UNAPPROVED: 'pr:reviewer:unapproved',
  REVIEWED: 'pr:reviewer:needs_work', ADDED: 'pr:comment:added', REPLIED: 'pr:comment:added', EDITED: 'pr:comment:edited', DELETED: 'pr:comment:deleted',
};

/**
 * What a complete replay of the simulated history must deliver, read from the simulator's model, not
 * from the bridge: `${repositoryId}/${pullRequestId} ${eventKey}` → count. The corrupt pull request is
 * left out: it cannot be read.
 */
export function expectedPullRequestEvents(sim: DcSimulator, since = 0): Map<string, number> {
  const expected = new Map<string, number>();
  for (const repo of sim.model.repositories) {
    for (const summary of repo.summaries()) {
      if (sim.corrupt && repo.slug === sim.corrupt.repositorySlug && repo.projectKey === sim.corrupt.projectKey && summary.id === sim.corrupt.pullRequestId) continue;
      const pr = findPullRequest(sim.model, repo, summary.id);
      for (const activity of pr?.activities ?? []) {
        if (activity.at < since) continue;
        const key = activity.action === 'COMMENTED' ? activityKeys[activity.commentAction] : activity.action === 'RESCOPED' ? (activity.fromHash !== activity.previousFromHash ? 'pr:from_ref_updated' : undefined) : activityKeys[activity.action];
        if (!key) continue;
        const name = `${repo.id}/${summary.id} ${key}`;
        expected.set(name, (expected.get(name) ?? 0) + 1);
      }
    }
  }
  return expected;
}

/** The same tally over what the receiver holds. */
export function deliveredPullRequestEvents(sink: PanDevSink): Map<string, number> {
  const delivered = new Map<string, number>();
  for (const d of sink.deliveries()) {
    if (!d.eventKey.startsWith('pr:')) continue;
    const body = d.body as { pullRequest: { id: number; toRef: { repository: { id: number } } } };
    const name = `${body.pullRequest.toRef.repository.id}/${body.pullRequest.id} ${d.eventKey}`;
    delivered.set(name, (delivered.get(name) ?? 0) + 1);
  }
  return delivered;
}

/** What a stopped bridge left in its state file's outbox, read once it closed. */
export async function outboxEntries(db: string): Promise<OutboxEntry[]> {
  const store = openSqliteStore(db);
  try {
    const entries: OutboxEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await outboxStore(store).list(cursor, 100);
      entries.push(...page.entries.map((entry) => entry.value));
      cursor = page.cursor;
    } while (cursor);
    return entries;
  } finally {
    store.close();
  }
}

export function sorted(map: Map<string, number>): Array<[string, number]> {
  return [...map].sort(([a], [b]) => a.localeCompare(b));
}

const root = path.resolve(__dirname, '../..');

/** The CLI's `bridge` command in its own process, as operators run it (`args` after `bridge`). */
export function spawnBridge(env: Record<string, string>, args: string[] = []): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'bridge', ...args], {
    cwd: root,
    env: { ...process.env, BRIDGE_POLL_SECONDS: '1', BITBUCKET_CONCURRENCY: '2', BRIDGE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export const exited = (child: ChildProcess) => new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
