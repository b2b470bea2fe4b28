import { startCloudSimulator } from '../src/sandbox/cloud-sim';
import { startPanDevSink } from '../src/sandbox/pandev-sink';
import { sandboxCredentials } from '../src/sandbox/sandbox';

// Bitbucket and PanDev for the benchmarks, in a process of their own as they are in life: the app's
// process then measures only the app (and the local Forge host standing in for Atlassian's platform).
// Prints one JSON line with the addresses and the sandbox credentials, then serves until killed.

async function main() {
  const options = JSON.parse(process.argv[2] ?? '{}') as { repositories?: number; seed?: string; pullRequestsPerRepository?: number };
  const simulator = await startCloudSimulator({ seed: options.seed ?? 'bench', repositories: options.repositories ?? 20, rateLimitPerHour: 0, ...(options.pullRequestsPerRepository ? { pullRequestsPerRepository: options.pullRequestsPerRepository } : {}) });
  const pandev = sandboxCredentials();
  const sink = await startPanDevSink({ secret: pandev.signingSecret, token: pandev.token });
  const { admin, member } = simulator.credentials;
  console.log(
    JSON.stringify({
      simulator: { url: simulator.url, workspaceUuid: simulator.workspace.uuid, appToken: simulator.credentials.appToken, users: [admin, member].map((c) => ({ accountId: c.user.account_id, token: c.token })), repositories: [...simulator.model.repositories.values()].map((r) => r.slug) },
      pandev: { url: sink.url, ...pandev },
    }),
  );
}

void main();
