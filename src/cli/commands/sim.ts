import { InvalidArgumentError, type Command } from 'commander';
import { startCloudSimulator } from '../../sandbox/cloud-sim';

// `pandev-bitbucket sim cloud`: the Bitbucket Cloud simulator the sandbox and end-to-end tests use,
// runnable on its own for exploring the API with curl or pointing a bridge at it.

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return parsed;
}

interface CloudOptions {
  port: number;
  seed: string;
  repositories: number;
  rateLimit: number;
  activityMs?: number;
}

async function runCloud(options: CloudOptions): Promise<void> {
  const sim = await startCloudSimulator({
    port: options.port, seed: options.seed, repositories: options.repositories, rateLimitPerHour: options.rateLimit,
  });
  const { admin, member, appToken } = sim.credentials;
  console.log(`Bitbucket Cloud simulator listening on ${sim.url}`);
  console.log(`  REST API   ${sim.url}/2.0     admin API ${sim.url}/_sim/workspace`);
  console.log(`  workspace  ${sim.workspace.slug} ${sim.workspace.uuid} (${sim.workspace.name})`);
  console.log(`  repos      ${[...sim.model.repositories.values()].map((repo) => repo.slug).join(', ')}`);
  console.log('  sandbox credentials (fake, for this simulator only):');
  console.log(`    app     Bearer ${appToken}`);
  for (const [role, credential] of [['admin', admin], ['member', member]] as const) {
    console.log(`    ${role.padEnd(7)} Bearer ${credential.token}  or  Basic ${credential.email}:${credential.apiToken}`);
  }
  sim.onEvent((event) => console.log(`event ${event.timestamp} ${event.eventType} ${event.repository.slug}`));
  const stopActivity = options.activityMs ? sim.startActivity({ intervalMs: options.activityMs }) : undefined;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stopActivity?.();
  await sim.stop();
  console.log('simulator stopped');
}

export function registerSim(program: Command): void {
  const sim = program.command('sim').description('run a Bitbucket simulator on loopback');
  sim.command('cloud')
    .description('Bitbucket Cloud REST 2.0 with seeded history, Forge events, rate limits and fault injection')
    .option('--port <n>', 'port to listen on, 0 for any free port', integer, 0)
    .option('--seed <s>', 'seed of the generated workspace (same seed, same data)', 'pandev')
    .option('--repositories <n>', 'number of repositories', integer, 5)
    .option('--rate-limit <n>', 'requests per rolling hour per credential, 0 for unlimited', integer, 1000)
    .option('--activity-ms <n>', 'generate random live activity every n milliseconds', integer)
    .action((options: CloudOptions) => runCloud(options));
}
