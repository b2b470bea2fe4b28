import { spawn } from 'node:child_process';
import type { BackfillRecord } from '../src/core/backfill/state';
import { RateBudget } from '../src/core/budget/rate-budget';
import { settingsStore, type Preferences, type Tuning } from '../src/core/config/settings';
import type { SimStats } from '../src/sandbox/cloud-sim';
import type { ForgeHost } from '../src/sandbox/forge-host';
import { hostStores } from '../src/sandbox/host-store';
import { connectApp, settingsResolver, startAppHost } from '../src/sandbox/sandbox';
import { mb, table } from './measure';
import { startPeers, type Peers } from './remote';

// Issue 4's figures, all counted by the simulator (requests made with the app's credential):
//  * Bitbucket requests per backfilled pull request, every feed included, with pull-request-level
//    and with every-commit file stats, on the default simulated workspace and on a busier one;
//  * the 50-repository backfill under a 1,000 requests/hour budget: requests and simulated time,
//    next to the floor (requests ÷ budget);
//  * one reconciliation pass over an idle 500-repository workspace: requests per repository;
//  * peak RSS of the process running the local Forge host and the app.
// Each run is a process of its own (this file, run with a scenario), so one run's peak RSS is not
// another's; Bitbucket and PanDev run in a further process, as in the other benchmarks.

const HOUR_MS = 3_600_000;
const TICK = 'five-minute-tick';
const BUDGET = 1000;

type Stats = Preferences['commitStats'];

interface Workspace {
  label: string;
  repositories: number;
  pullRequestsPerRepository?: number;
}

/** The default simulated workspace (the one the e2e backfill test uses) and a busier one. */
const DEFAULT: Workspace = { label: '50 repositories × 8 pull requests (simulator default)', repositories: 50 };
const BUSIER: Workspace = { label: '10 repositories × 60 pull requests (busier)', repositories: 10, pullRequestsPerRepository: 60 };
/** 50 repositories with enough history that the backfill needs more than one hour's budget. */
const BUDGET_BOUND: Workspace = { label: '50 repositories × 16 pull requests', repositories: 50, pullRequestsPerRepository: 16 };
const IDLE_REPOSITORIES = 500;

type Scenario =
  | { kind: 'backfill'; workspace: Workspace; commitStats: Stats }
  | { kind: 'budgeted'; workspace: Workspace }
  | { kind: 'idle'; repositories: number };

type Measured<T> = T & { maxRssBytes: number };

export async function backfillBenchmark(): Promise<string> {
  const peaks: Array<[string, string]> = [];
  const run = async <T>(label: string, scenario: Scenario): Promise<T> => {
    const result = await inChild<Measured<T>>(scenario);
    // A budgeted run's process lives on past its last repository, to the sweep's deliveries.
    const { deliveries: atDone, afterSweep } = result as { deliveries?: number; afterSweep?: number };
    const deliveries = afterSweep ?? atDone;
    peaks.push([`  ${label}`, `${mb(result.maxRssBytes)}${deliveries ? `  (${deliveries.toLocaleString('en')} deliveries to PanDev)` : ''}`]);
    return result;
  };
  const perPullRequest = (r: Run): string => `${(r.requests / r.pullRequests).toFixed(2)} requests per pull request  (${r.requests} requests, ${r.pullRequests} pull requests; ${(r.requests / r.repositories).toFixed(1)} per repository; ${(r.ms / 1000).toFixed(0)} s)`;

  // (a) requests per backfilled pull request, with the budget out of the way.
  const rows: Array<[string, string]> = [];
  const alone = new Map<Workspace, Run>();
  for (const workspace of [DEFAULT, BUSIER, BUDGET_BOUND]) {
    rows.push([workspace.label, '']);
    for (const commitStats of workspace === BUDGET_BOUND ? (['pullrequest'] as const) : (['off', 'pullrequest', 'commit'] as const)) {
      const result = await run<Run>(`backfill, ${workspace.label}, file stats ${commitStats}`, { kind: 'backfill', workspace, commitStats });
      if (commitStats === 'pullrequest') alone.set(workspace, result);
      rows.push([`  file stats ${commitStats.padEnd(11)}`, perPullRequest(result)]);
      if (commitStats === 'pullrequest') rows.push(['    per repository, by route', describe({ total: result.requests, byRoute: result.byRoute }, result.repositories)]);
    }
  }
  const lines = ['backfill: Bitbucket requests per backfilled pull request, every feed included (app credential, counted by the simulator)', table(rows), ''];

  // (b) 50 repositories under Bitbucket's default hour, on a simulated clock.
  for (const workspace of [DEFAULT, BUDGET_BOUND]) {
    const result = await run<BudgetedRun>(`backfill at ${BUDGET} requests/hour, ${workspace.label}`, { kind: 'budgeted', workspace });
    lines.push(
      `backfill under a ${BUDGET.toLocaleString('en')} requests/hour budget: ${workspace.label}, default preferences (file stats per pull request, reconciliation every 15 minutes)`,
      table([
        ['requests (app credential)', `${result.requests}  (the backfill alone, unbudgeted: ${alone.get(workspace)!.requests}${difference(result.byRoute, alone.get(workspace)!.byRoute)})`],
        ['simulated time, activation to last repository done', `${formatHours(result.simulatedMs)}  (${result.waits} budget waits; ${(result.realMs / 1000).toFixed(0)} s real)`],
        ['floor: requests ÷ budget', `${formatHours((result.requests / BUDGET) * HOUR_MS)}  (÷ the 900 planned work may use, 10% being kept for live events: ${formatHours((result.requests / (BUDGET * 0.9)) * HOUR_MS)})`],
        ['most requests in any rolling 60 minutes', `${result.maxHour}`],
        ['deliveries held by PanDev', `${result.deliveries.toLocaleString('en')} when the last repository is done, ${result.afterSweep.toLocaleString('en')} after the next outbox sweep (deliveries whose consumer a clock jump cut short)`],
      ]),
      '',
    );
  }

  // (c) an idle workspace's reconciliation.
  const idle = await run<IdleRun>(`reconciliation, ${IDLE_REPOSITORIES} repositories`, { kind: 'idle', repositories: IDLE_REPOSITORIES });
  lines.push(
    `reconciliation: one pass over an idle workspace of ${idle.repositories} repositories, nothing changed since the previous pass`,
    table([
      ['requests per repository, pass within the hour', `${(idle.quiet.total / idle.repositories).toFixed(3)}  (${describe(idle.quiet)}; goal ≤ 1)`],
      ['  … the hourly pass (repository list refreshed; deployments where there was news within the day)', `${(idle.hourly.total / idle.repositories).toFixed(3)}  (${describe(idle.hourly)})`],
      ['  … the daily pass (deployments of quiet repositories too)', `${(idle.daily.total / idle.repositories).toFixed(3)}  (${describe(idle.daily)})`],
      ['  … averaged over a day at the default 15-minute period', `${((72 * idle.quiet.total + 23 * idle.hourly.total + idle.daily.total) / 96 / idle.repositories).toFixed(3)}  (goal ≤ 1)`],
    ]),
    '',
  );
  // (d)
  lines.push('peak RSS of the process running the local Forge host and the app (each run its own process)', table(peaks));
  return lines.join('\n');
}

const formatHours = (ms: number) => (ms < HOUR_MS / 10 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / HOUR_MS).toFixed(2)} h`);

/** Runs one scenario in a fresh process (this file) and returns what it measured. */
function inChild<T>(scenario: Scenario): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', __filename, JSON.stringify(scenario)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as T);
      else reject(new Error(`backfill benchmark run ${JSON.stringify(scenario)} exited with ${code}: ${out.slice(-500)}`));
    });
  });
}

async function runScenario(scenario: Scenario): Promise<unknown> {
  if (scenario.kind === 'idle') return idleReconciliation(scenario.repositories);
  const { workspace } = scenario;
  const peers = await startPeers({ repositories: workspace.repositories, ...(workspace.pullRequestsPerRepository ? { pullRequestsPerRepository: workspace.pullRequestsPerRepository } : {}) });
  try {
    return scenario.kind === 'backfill' ? await unbudgetedBackfill(peers, scenario.commitStats) : await budgetedBackfill(peers);
  } finally {
    peers.stop();
  }
}

interface Run {
  requests: number;
  pullRequests: number;
  repositories: number;
  ms: number;
  /** Every credential's requests by route (the app's, plus the resolver's one admin check as the user). */
  byRoute: Record<string, number>;
  deliveries: number;
}

/** Activates the app on a fresh installation and waits until every repository's backfill is done. */
async function unbudgetedBackfill(peers: Peers, commitStats: Stats): Promise<Run> {
  const host = await quietHost(peers, 0.001);
  try {
    await setUp(host, peers, { requestsPerHour: 100_000, commitStats });
    await peers.resetSimulatorStats();
    const started = performance.now();
    await call(host, peers, 'connection/activate', {});
    const records = await untilBackfilled(host);
    const ms = performance.now() - started;
    const stats = await simulatorStats(peers);
    await settle(host);
    return { requests: appRequests(stats), pullRequests: records.reduce((sum, r) => sum + (r.total ?? 0), 0), repositories: records.length, ms, byRoute: stats.byRoute, deliveries: await deliveryCount(peers) };
  } finally {
    await host.stop();
  }
}

interface BudgetedRun {
  requests: number;
  byRoute: Record<string, number>;
  /** Held by PanDev when the last repository's backfill was done. */
  deliveries: number;
  /** … and after the next outbox sweep. */
  afterSweep: number;
  simulatedMs: number;
  realMs: number;
  waits: number;
  maxHour: number;
}

/**
 * The backfill under a 1,000-request hour, run on a simulated clock: `Date.now` (the app's clock, the
 * budget's rolling hour, the host's queue and KVS expiry) moves with real time while the app works, and
 * jumps ahead to the instant the budget frees requests again whenever planned work has none left (what
 * the backfill pieces themselves wait for). The host's own scheduled trigger is off; the five-minute
 * tick (sweep, reconciliation) is run at each simulated five-minute boundary instead.
 */
async function budgetedBackfill(peers: Peers): Promise<BudgetedRun> {
  const realNow = Date.now.bind(Date);
  let offset = 0;
  Date.now = () => realNow() + offset;
  // Queue delays (the pieces' budget waits) are compressed a thousandfold; the simulated clock makes
  // them last their full length.
  const host = await quietHost(peers, 0.001);
  try {
    // A delivery sent before a jump is not "overdue" after it: the sweep's grace outlasts any jump.
    await setUp(host, peers, { requestsPerHour: BUDGET }, { sweepGraceSeconds: 86_400 });
    await peers.resetSimulatorStats();
    const probe = new RateBudget(hostStores(host).store, { now: () => Date.now() }, { limitPerHour: async () => BUDGET });
    const startedReal = realNow();
    const activatedAt = Date.now();
    await call(host, peers, 'connection/activate', {});
    let nextTick = activatedAt + 5 * 60_000;
    let waits = 0;
    const hourly: Array<[number, number]> = [];
    for (;;) {
      const records = await backfills(host);
      hourly.push([Date.now(), appRequests(await simulatorStats(peers))]);
      if (records.length && records.every((r) => r.state === 'done' || r.state === 'failed')) {
        const stats = await simulatorStats(peers);
        const finishedAt = Math.max(...records.map((r) => r.finishedAt ?? 0));
        await settle(host);
        const deliveries = await deliveryCount(peers);
        // A jump cuts short the consumers in flight: they hand their deliveries back, and the local host,
        // as Forge would, drops a retry past its message's retention window (an hour of simulated time).
        // The outbox sweep is what delivers those: the next tick past the default grace, as in life.
        await settingsStore(hostStores(host).store, hostStores(host).secrets).saveTuning({});
        offset += 10 * 60_000;
        await host.runScheduled(TICK);
        await settle(host);
        return { requests: appRequests(stats), byRoute: stats.byRoute, simulatedMs: finishedAt - activatedAt, realMs: realNow() - startedReal, waits, maxHour: maxInAnyHour(hourly), deliveries, afterSweep: await deliveryCount(peers) };
      }
      if (realNow() - startedReal > 10 * 60_000) throw new Error(`budgeted backfill stuck: ${records.map((r) => `${r.state}:${r.cursor?.phase ?? '-'}`).join(' ')}`);
      const snapshot = await probe.snapshot();
      if (snapshot.available <= 0) {
        const at = snapshot.availableAt(10);
        if (at > Date.now()) {
          offset += at - Date.now();
          waits++;
        }
      }
      if (Date.now() >= nextTick) {
        while (nextTick <= Date.now()) nextTick += 5 * 60_000;
        await host.runScheduled(TICK);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    Date.now = realNow;
    await host.stop();
  }
}

/** From (simulated time, cumulative requests) samples: the most requests any rolling hour saw. */
function maxInAnyHour(samples: Array<[number, number]>): number {
  let max = 0;
  let start = 0;
  for (const [t, total] of samples) {
    while (samples[start]![0] <= t - HOUR_MS) start++;
    // The hour's first sample may itself hold requests made just inside the hour: count from the one before.
    max = Math.max(max, total - (start > 0 ? samples[start - 1]![1] : 0));
  }
  return max;
}

interface Pass {
  total: number;
  byRoute: Record<string, number>;
}

interface IdleRun {
  repositories: number;
  quiet: Pass;
  hourly: Pass;
  daily: Pass;
}

/** Connected and activated without a backfill; a first pass sets each repository's watermark. */
async function idleReconciliation(repositories: number): Promise<IdleRun> {
  const peers = await startPeers({ repositories });
  const host = await quietHost(peers, 0.001);
  try {
    await settingsStore(hostStores(host).store, hostStores(host).secrets).savePreferences({ requestsPerHour: 100_000 });
    await connectApp(host, peers.pandev);
    await reconcileNow(host); // the first pass: watermarks, environments lists
    const quiet = await measurePass(host, peers);
    // Once an hour the repository list is read again (and deployments checked where there was news).
    await host.kvs.set('reconcile:index:meta', null);
    const hourly = await measurePass(host, peers, { lastDeploymentCheckAt: Date.now() - 3_600_000 });
    // Once a day every repository's deployments are checked.
    const daily = await measurePass(host, peers, { lastDeploymentCheckAt: Date.now() - 86_400_000 });
    return { repositories, quiet, hourly, daily };
  } finally {
    await host.stop();
    peers.stop();
  }
}

async function measurePass(host: ForgeHost, peers: Peers, extra: Record<string, unknown> = {}): Promise<Pass> {
  await peers.resetSimulatorStats();
  await reconcileNow(host, extra);
  const stats = await simulatorStats(peers);
  return { total: appRequests(stats), byRoute: stats.byRoute };
}

/** Makes every repository due, as if its period had passed, and runs the five-minute tick. */
async function reconcileNow(host: ForgeHost, extra: Record<string, unknown> = {}): Promise<void> {
  for (const key of host.kvs.keys('reconcile:repo:')) await host.kvs.set(key, { ...((await host.kvs.get(key)) as object), lastPassAt: 0, ...extra });
  await host.runScheduled(TICK);
  await settle(host);
}

/** Requests by route, in total or per repository. */
function describe(pass: Pass, per = 1): string {
  const names: Record<string, string> = {
    'GET /repositories/{workspace}': 'repositories list',
    'GET /repositories/{workspace}/{repo_slug}': 'repository',
    'GET /user/workspaces/{workspace}/permission': 'admin check (as the user)',
  };
  const short = (route: string) => names[route] ?? route.replace('GET /repositories/{workspace}/{repo_slug}/', '');
  return Object.entries(pass.byRoute)
    .sort((a, b) => b[1] - a[1])
    .map(([route, count]) => `${per === 1 ? count : (count / per).toFixed(2).replace(/\.?0+$/, '')} ${short(route)}`)
    .join(', ');
}

/** What the budgeted run read beyond the backfill alone (the reconciliation's ticks, caches expired by the wait). */
function difference(budgeted: Record<string, number>, alone: Record<string, number>): string {
  const extra = Object.entries(budgeted).flatMap(([route, count]) => (count > (alone[route] ?? 0) ? [[route, count - (alone[route] ?? 0)] as [string, number]] : []));
  return extra.length ? `; beyond it: ${describe({ total: 0, byRoute: Object.fromEntries(extra) })}` : '';
}

/**
 * The real app on a fresh local Forge host, without the host's own five-minute timer: the benchmark
 * runs the scheduled tick itself, when its measurement calls for it.
 */
async function quietHost(peers: Peers, timeScale: number): Promise<ForgeHost> {
  return startAppHost({ bitbucket: peers.simulator, timeScale, maxPlatformRetries: 50, logger: () => undefined, scheduledTriggers: false });
}

/** What the admin does before Activate: preferences, then connection saved and checked. */
async function setUp(host: ForgeHost, peers: Peers, preferences: Partial<Preferences>, tuning: Partial<Tuning> = {}): Promise<void> {
  const { store, secrets } = hostStores(host);
  const settings = settingsStore(store, secrets);
  await settings.saveTuning(tuning);
  await settings.savePreferences(preferences);
  await call(host, peers, 'connection/save', { baseUrl: peers.pandev.url, token: peers.pandev.token, signingSecret: peers.pandev.signingSecret });
  await call(host, peers, 'connection/check', {});
}

/** The settings page's resolver, as the workspace admin. */
function call(host: ForgeHost, peers: Peers, name: string, payload: unknown): Promise<unknown> {
  return settingsResolver(host, peers.simulator.users[0]!.accountId)(name, payload);
}

async function backfills(host: ForgeHost): Promise<BackfillRecord[]> {
  return Promise.all(host.kvs.keys('backfill:').map(async (key) => (await host.kvs.get(key)) as BackfillRecord));
}

async function untilBackfilled(host: ForgeHost): Promise<BackfillRecord[]> {
  const until = Date.now() + 10 * 60_000;
  while (Date.now() < until) {
    const records = await backfills(host);
    if (records.length && records.every((r) => r.state === 'done' || r.state === 'failed')) return records;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('backfill did not finish in ten minutes');
}

/** Waits for the deliveries still queued (they make no Bitbucket requests), at most a minute. */
async function settle(host: ForgeHost): Promise<void> {
  await Promise.race([host.idle(), new Promise((resolve) => setTimeout(resolve, 60_000).unref())]);
}

async function simulatorStats(peers: Peers): Promise<SimStats> {
  const response = await fetch(`${peers.simulator.url}/_sim/stats`);
  return (await response.json()) as SimStats;
}

async function deliveryCount(peers: Peers): Promise<number> {
  const response = await fetch(`${peers.pandev.url}/_sink/stats`);
  return ((await response.json()) as { deliveries: number }).deliveries;
}

const appRequests = (stats: SimStats) => stats.byCredential.app ?? 0;

// As a child process: run the scenario given as JSON, print the result (and this process's peak RSS)
// as the last line of output.
if (require.main === module) {
  runScenario(JSON.parse(process.argv[2]!) as Scenario)
    .then((result) => {
      console.log(JSON.stringify({ ...(result as object), maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
