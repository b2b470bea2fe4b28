import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { mb, table } from './measure';

// Issue 6's figures, each in fresh processes (Data Center simulator and PanDev receiver in one, the
// bridge in another, as in life): Bitbucket requests per repository of an idle poll pass, pull requests
// forwarded per second from an instant simulator, and the bridge's peak RSS over a 10,000- and a
// 100,000-pull-request backfill (it must stay flat: pages are streamed, histories never held).

interface Peers { url: string; token: string; repositories: number; pullRequests: number; pandev: { url: string; token: string; secret: string } }
interface Run { repositories: number; failed: number; stagedMs: number; deliveredMs: number; deliveries: number; backfillRequests: number; idleRequests: number; idleStaged: number; peakRss: number }

async function firstLine(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ line: string; stop(): void; done: Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
  });
  return { line, stop: () => child.kill('SIGTERM'), done };
}

export async function scenario(shape: { projects: number; repositoriesPerProject: number; pullRequestsPerRepository: number }): Promise<Run & { pullRequests: number }> {
  const peers = await firstLine([path.join(__dirname, 'bridge-peers.ts'), JSON.stringify(shape)]);
  const info = JSON.parse(peers.line) as Peers;
  const dir = mkdtempSync(path.join(tmpdir(), 'bridge-bench-'));
  // The receiver keeps what it got in memory; forgetting it now and then keeps that process small.
  const clear = setInterval(() => void fetch(`${info.pandev.url}/_sink/deliveries`, { method: 'DELETE' }).catch(() => undefined), 2000);
  try {
    const run = await firstLine([path.join(__dirname, 'bridge-run.ts')], {
      ...process.env,
      BITBUCKET_EDITION: 'datacenter', BITBUCKET_URL: info.url, BITBUCKET_TOKEN: info.token,
      PANDEV_URL: info.pandev.url, PANDEV_TOKEN: info.pandev.token, PANDEV_SIGNING_SECRET: info.pandev.secret,
      BRIDGE_DB: path.join(dir, 'state.db'), BRIDGE_LISTEN: '127.0.0.1:0', BITBUCKET_REQUESTS_PER_SECOND: '100000', BITBUCKET_CONCURRENCY: '8',
    });
    await run.done;
    return { ...(JSON.parse(run.line) as Run), pullRequests: info.pullRequests };
  } finally {
    clearInterval(clear);
    peers.stop();
    await peers.done;
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function bridgeBenchmark(): Promise<string> {
  const small = await scenario({ projects: 2, repositoriesPerProject: 10, pullRequestsPerRepository: 100 });
  const tenK = await scenario({ projects: 2, repositoriesPerProject: 5, pullRequestsPerRepository: 1000 });
  const hundredK = await scenario({ projects: 2, repositoriesPerProject: 5, pullRequestsPerRepository: 10_000 });
  const rate = (run: Run & { pullRequests: number }) => run.pullRequests / (run.deliveredMs / 1000);
  return [
    'bridge: Data Center backfill and polling (simulator and receiver in a second process, nothing throttled)',
    table([
      ['requests per repository, idle pass', `${(small.idleRequests / small.repositories).toFixed(2)}  (${small.idleRequests} for ${small.repositories} repositories; goal ≤ 1)`],
      ['pull requests forwarded per second', `${rate(tenK).toFixed(0)}  (${tenK.pullRequests} pull requests, ${tenK.deliveries} deliveries in ${(tenK.deliveredMs / 1000).toFixed(1)} s)`],
      ['  deliveries per second', (tenK.deliveries / (tenK.deliveredMs / 1000)).toFixed(0)],
      ['  Bitbucket requests per pull request', (tenK.backfillRequests / tenK.pullRequests).toFixed(2)],
      ['peak RSS, 10,000-PR backfill', `${mb(tenK.peakRss)}  (${(tenK.deliveredMs / 1000).toFixed(0)} s)`],
      ['peak RSS, 100,000-PR backfill', `${mb(hundredK.peakRss)}  (${(hundredK.deliveredMs / 1000).toFixed(0)} s, ${hundredK.deliveries} deliveries; goal ≤ 150 MB and flat)`],
    ]),
  ].join('\n');
}
