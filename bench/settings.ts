import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { connectApp, settingsResolver, startAppHost } from '../src/sandbox/sandbox';
import { percentile, table } from './measure';
import { startPeers, type Peers } from './remote';

// Issue 3's figures: the settings resolver for a workspace of 2,000 repositories (answer time, answer
// size, Bitbucket requests) through the local Forge host running the real app, and the size of the
// built page. Bitbucket and PanDev run in a second process, as in the forwarding benchmark.

const REPOSITORIES = 2000;
const RUNS = 15;

interface Figure {
  ms: number[];
  bytes: number;
  requests: number;
}

export async function settingsBenchmark(): Promise<string> {
  const peers = await startPeers({ repositories: REPOSITORIES });
  const host = await startAppHost({ bitbucket: peers.simulator, timeScale: 0.001, logger: () => undefined });
  try {
    const call = settingsResolver(host, peers.simulator.users[0]!.accountId);
    const cold = await measure(peers, () => call('repositories/list', { limit: 50 }), 1);
    const firstPage = await measure(peers, () => call('repositories/list', { limit: 50 }));
    const search = await measure(peers, () => call('repositories/list', { search: 'api', limit: 50 }));
    const lastPage = await measure(peers, () => call('repositories/list', { offset: 1950, limit: 50 }));
    const selectAll = await measure(peers, async () => {
      await call('repositories/select', { scope: 'all', selected: false });
      return call('repositories/select', { scope: 'all', selected: true });
    });
    const project = ((await call('repositories/list', { limit: 1 })).data as { items: Array<{ project: { key: string } }> }).items[0]!.project.key;
    const selectProject = await measure(peers, () => call('repositories/select', { scope: 'project', project, selected: false }), 1);
    const status = await measure(peers, () => call('status/get', {}), 5);
    // Activated, selecting every repository also asks for (and queues) 2,000 backfills.
    await call('repositories/select', { scope: 'all', selected: false });
    await connectApp(host, peers.pandev);
    const selectAllActivated = await measure(peers, () => call('repositories/select', { scope: 'all', selected: true }), 1);
    const row = (name: string, f: Figure): [string, string] => [name, `${ms(f)}   ${kb(f.bytes)}   ${f.requests} Bitbucket requests`];
    return [
      `settings: the settings resolver for ${REPOSITORIES.toLocaleString('en')} repositories, through the local Forge host (median / p95 of ${RUNS} calls; answer size; Bitbucket requests per call)`,
      table([
        row('first page, list not cached (reads Bitbucket)', cold),
        row('first page (50 rows), cached list', firstPage),
        row('search "api"', search),
        row('last page', lastPage),
        row('select all (after deselect all; 2 calls)', selectAll),
        row('deselect a project', selectProject),
        row('status', status),
        row('select all, activated (2,000 backfills)', selectAllActivated),
      ]),
      '',
      'settings page bundle (static/settings/build, the Forge resource)',
      table(bundleSizes()),
    ].join('\n');
  } finally {
    await host.stop();
    peers.stop();
  }
}

async function measure(peers: Peers, fn: () => Promise<unknown>, runs = RUNS): Promise<Figure> {
  const ms: number[] = [];
  let bytes = 0;
  await peers.resetSimulatorStats();
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const answer = await fn();
    ms.push(performance.now() - started);
    bytes = Buffer.byteLength(JSON.stringify(answer));
  }
  // Every call also asks Bitbucket, as the user, whether they are a workspace admin.
  return { ms, bytes, requests: Math.round((await peers.simulatorRequests()) / runs) };
}

const ms = (f: Figure) => (f.ms.length === 1 ? `${f.ms[0]!.toFixed(0)} ms` : `${percentile(f.ms, 50).toFixed(0)} / ${percentile(f.ms, 95).toFixed(0)} ms`);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

function bundleSizes(): Array<[string, string]> {
  const dir = path.resolve(__dirname, '..', 'static', 'settings', 'build', 'assets');
  const files = readdirSync(dir).map((name) => ({ name, body: readFileSync(path.join(dir, name)) }));
  const size = (list: typeof files) => `${kb(list.reduce((s, f) => s + f.body.length, 0))} (${kb(list.reduce((s, f) => s + gzipSync(f.body).length, 0))} gzip)`;
  const entry = files.filter((f) => /^index-.*\.(js|css)$/.test(f.name));
  return [
    ['loaded with the page (index JS + CSS)', size(entry)],
    ['everything built (with theme chunks loaded on demand)', size(files)],
  ];
}
