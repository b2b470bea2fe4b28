import Database from 'better-sqlite3';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { mb, table } from './measure';

// Issue 6's figures. The bridge runs as operators run it, the compiled CLI (`pandev-bitbucket backfill`,
// built first), in its own process; the Data Center simulator and the PanDev receiver run in another.
// Measured: Bitbucket requests per repository of an idle poll pass (the simulator counts them, over
// ten idle passes: a quiet repository reads one feed per pass, in turn, so one pass is not the
// average), pull requests forwarded per second from an instant simulator, and the bridge process's
// peak RSS (the kernel's high-water mark, VmHWM) over a 10,000- and a 100,000-pull-request backfill.

/** A full turn of the quiet schedule: pull requests and branches in turn, tags every tenth pass. */
const IDLE_PASSES = 10;
const LIST = 'GET /rest/api/1.0/repos';
const BUILD_COUNTS = 'POST /rest/build-status/1.0/commits/stats';

const root = path.resolve(__dirname, '..');
interface Peers { url: string; token: string; repositories: number; pullRequests: number; pandev: { url: string; token: string; secret: string } }
interface Backfill { seconds: number; peakRss: number; found: number; delivered: number }

async function startPeers(shape: object): Promise<{ info: Peers; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'bridge-peers.ts'), JSON.stringify(shape)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bridge-peers exited with ${code}`)));
  });
  return { info: JSON.parse(line) as Peers, stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))) };
}

/** V8 heap limits deploy/ ships (NODE_OPTIONS): the bridge's live heap stays near 20 MB, so a small heap costs little. */
export const DEPLOY_NODE_OPTIONS = '--max-old-space-size=80 --max-semi-space-size=2';

/** One `pandev-bitbucket backfill` (one pass, then waits for every delivery), its wall time and peak RSS. */
function backfill(peers: Peers, db: string, nodeOptions = DEPLOY_NODE_OPTIONS, pullRequestsOnly = false): Promise<Backfill> {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(root, 'bin/pandev-bitbucket.js'), 'backfill'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      PATH: process.env.PATH, NODE_OPTIONS: nodeOptions, BITBUCKET_EDITION: 'datacenter', BITBUCKET_URL: peers.url, BITBUCKET_TOKEN: peers.token,
      PANDEV_URL: peers.pandev.url, PANDEV_TOKEN: peers.pandev.token, PANDEV_SIGNING_SECRET: peers.pandev.secret,
      BRIDGE_DB: db, BRIDGE_LISTEN: '127.0.0.1:0', BITBUCKET_REQUESTS_PER_SECOND: '1000', BITBUCKET_CONCURRENCY: '10', BRIDGE_LOG_LEVEL: 'error',
    },
  });
  let peak = 0;
  let stoppedEarly: Backfill | undefined;
  const sample = setInterval(() => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) peak = Math.max(peak, Number(hwm[1]) * 1024);
    } catch {
      // the process is gone: the last sample stands
    }
  }, 50);
  // The simulator's branch history walk (thousands of live branches per repository) takes longer than
  // the pull requests themselves; for the largest run only the pull requests are waited for.
  const watch = pullRequestsOnly ? setInterval(() => {
    const state = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const count = (prefix: string) => (state.prepare('SELECT COUNT(*) AS n FROM kv WHERE key >= ? AND key < ?').get(prefix, prefix.slice(0, -1) + ';') as { n: number }).n;
      const done = count('dc:pr:');
      if (done >= peers.pullRequests && count('outbox:') === 0 && !stoppedEarly) {
        stoppedEarly = { seconds: (performance.now() - started) / 1000, peakRss: peak, found: count('delivered:'), delivered: count('delivered:') };
        child.kill('SIGTERM');
      }
    } finally {
      state.close();
    }
  }, 2000) : undefined;
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      clearInterval(sample);
      clearInterval(watch);
      if (stoppedEarly) return resolve({ ...stoppedEarly, peakRss: Math.max(peak, stoppedEarly.peakRss) });
      const counts = /(\d+) deliveries found, (\d+) delivered/.exec(out);
      if (code !== 0 || !counts) return reject(new Error(`backfill exited with ${code}: ${out}`));
      resolve({ seconds: (performance.now() - started) / 1000, peakRss: peak, found: Number(counts[1]), delivered: Number(counts[2]) });
    });
  });
}

async function scenario(shape: { projects: number; repositoriesPerProject: number; pullRequestsPerRepository: number }, options: { withDefaultHeap?: boolean; pullRequestsOnly?: boolean; idlePasses?: number } = {}) {
  const peers = await startPeers(shape);
  const dir = mkdtempSync(path.join(tmpdir(), 'bridge-bench-'));
  // The receiver keeps what it got in memory; forgetting it now and then keeps that process small.
  const clear = setInterval(() => void fetch(`${peers.info.pandev.url}/_sink/deliveries`, { method: 'DELETE' }).catch(() => undefined), 2000);
  try {
    const db = path.join(dir, 'state.db');
    const first = await backfill(peers.info, db, DEPLOY_NODE_OPTIONS, options.pullRequestsOnly);
    if (options.pullRequestsOnly) return { ...first, pullRequests: peers.info.pullRequests, repositories: peers.info.repositories, idle: undefined, defaults: undefined };
    let idle: { routes: Record<string, number>; passes: number } | undefined;
    if (options.idlePasses) {
      await fetch(`${peers.info.url}/_sim/stats/reset`, { method: 'POST' });
      for (let i = 0; i < options.idlePasses; i++) await backfill(peers.info, db);
      const stats = (await (await fetch(`${peers.info.url}/_sim/stats`)).json()) as { total: number; byRoute: Record<string, number> };
      // The repository list is read once per start (then every ten minutes), not per pass.
      const { [LIST]: _listed, ...routes } = stats.byRoute;
      idle = { routes, passes: options.idlePasses };
    }
    // The same backfill with Node's default heap sizing, into a fresh state file.
    const defaults = options.withDefaultHeap ? await backfill(peers.info, path.join(dir, 'defaults.db'), '') : undefined;
    return { ...first, pullRequests: peers.info.pullRequests, repositories: peers.info.repositories, idle, defaults };
  } finally {
    clearInterval(clear);
    await peers.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function bridgeBenchmark(): Promise<string> {
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  const small = await scenario({ projects: 2, repositoriesPerProject: 10, pullRequestsPerRepository: 100 }, { idlePasses: IDLE_PASSES });
  const tenK = await scenario({ projects: 2, repositoriesPerProject: 5, pullRequestsPerRepository: 1000 }, { withDefaultHeap: true });
  const hundredK = await scenario({ projects: 2, repositoriesPerProject: 5, pullRequestsPerRepository: 10_000 }, { pullRequestsOnly: true });
  const idle = small.idle!;
  const all = Object.values(idle.routes).reduce((a, b) => a + b, 0);
  const counts = idle.routes[BUILD_COUNTS] ?? 0;
  const perRepository = (n: number) => (n / idle.passes / small.repositories).toFixed(2);
  const routes = Object.entries(idle.routes).map(([route, n]) => `${n} ${route.replace('GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}', '…').replace(/^(GET|POST) \/rest\//, '$1 ')}`);
  return [
    'bridge: the compiled CLI against the Data Center simulator (simulator and receiver in a second process, nothing throttled)',
    table([
      ['requests per repository, idle pass', `${perRepository(all - counts)} per repository, + ${(counts / idle.passes).toFixed(0)} build-counts request per pass for the instance = ${perRepository(all)}  (${idle.passes} passes over ${small.repositories} repositories: ${routes.join(', ')}; goal ≤ 1)`],
      ['pull requests forwarded per second', `${(tenK.pullRequests / tenK.seconds).toFixed(0)}  (${tenK.pullRequests} pull requests, ${tenK.delivered} deliveries in ${tenK.seconds.toFixed(1)} s)`],
      ['  deliveries per second', (tenK.delivered / tenK.seconds).toFixed(0)],
      ['peak RSS, 10,000-PR backfill', `${mb(tenK.peakRss)}  (${tenK.delivered} deliveries, ${tenK.seconds.toFixed(0)} s; NODE_OPTIONS="${DEPLOY_NODE_OPTIONS}" as deploy/ sets)`],
      ['peak RSS, 100,000-PR backfill', `${mb(hundredK.peakRss)}  (every pull request read, ${hundredK.delivered} deliveries, ${hundredK.seconds.toFixed(0)} s; goal ≤ 150 MB and flat)`],
      ['  10,000 with Node\'s default heap', `${mb(tenK.defaults!.peakRss)}  (${tenK.defaults!.seconds.toFixed(0)} s)`],
    ]),
  ].join('\n');
}
