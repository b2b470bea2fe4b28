import { startDcSimulator } from '../src/sandbox/dc-sim';
import { startPanDevSink } from '../src/sandbox/pandev-sink';

// Bitbucket Data Center and PanDev for the bridge benchmark, in a process of their own, so the bridge's
// process measures only the bridge. Prints one JSON line with addresses and credentials, then serves.

async function main() {
  const options = JSON.parse(process.argv[2] ?? '{}') as { projects: number; repositoriesPerProject: number; pullRequestsPerRepository: number };
  const sim = await startDcSimulator({ seed: 'bench', historyDays: 25, rateLimit: null, corruptPullRequest: false, ...options });
  const sink = await startPanDevSink({ secret: 'bench-secret', token: 'bench-token' });
  const pullRequests = sim.model.repositories.reduce((sum, repo) => sum + [...repo.summaries()].length, 0);
  console.log(JSON.stringify({ url: sim.url, token: sim.credentials.admin.token, repositories: sim.model.repositories.length, pullRequests, pandev: { url: sink.url, token: 'bench-token', secret: 'bench-secret' } }));
}

void main();
