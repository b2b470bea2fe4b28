import { InvalidArgumentError, Option, type Command } from 'commander';
import { startCloudSimulator } from '../../sandbox/cloud-sim';
import { startDcSimulator } from '../../sandbox/dc-sim';
import { listening, MAX_REPOSITORIES, port, repositoryCount } from './options';

// `pandev-bitbucket sim cloud` and `sim datacenter`: the Bitbucket simulators the sandbox and end-to-end
// tests use, runnable on their own for exploring the API with curl or pointing a bridge at them.

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return parsed;
}

/** Either simulator, with live activity every `activityMs` if asked, until Ctrl-C or SIGTERM. */
async function runUntilStopped(sim: { startActivity(options: { intervalMs: number }): () => void; stop(): Promise<void> }, activityMs?: number): Promise<void> {
  const stopActivity = activityMs ? sim.startActivity({ intervalMs: activityMs }) : undefined;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stopActivity?.();
  await sim.stop();
  console.log('simulator stopped');
}

interface CloudOptions {
  port: number;
  seed: string;
  repositories: number;
  rateLimit: number;
  activityMs?: number;
}

async function runCloud(options: CloudOptions): Promise<void> {
  const sim = await listening(startCloudSimulator({
    port: options.port, seed: options.seed, repositories: options.repositories, rateLimitPerHour: options.rateLimit,
  }), options.port);
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
  await runUntilStopped(sim, options.activityMs);
}

interface DatacenterOptions {
  port: number;
  seed: string;
  dateFormat: '9.x' | '10.x';
  contextPath: string;
  rateLimit: { capacity: number; refillPerSecond: number } | null;
  projects: number;
  repositories: number;
  pullRequests: number;
  activityMs?: number;
}

function dateFormat(value: string): '9.x' | '10.x' {
  if (value !== '9.x' && value !== '10.x') throw new InvalidArgumentError('expected 9.x or 10.x');
  return value;
}

/** `capacity/refillPerSecond` (e.g. `60/5`), or `off`. */
function rateLimit(value: string): { capacity: number; refillPerSecond: number } | null {
  if (value === 'off' || value === '0') return null;
  const match = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(value);
  if (!match) throw new InvalidArgumentError('expected capacity/refill (e.g. 60/5) or off');
  return { capacity: Number(match[1]), refillPerSecond: Number(match[2]) };
}

async function runDatacenter(options: DatacenterOptions): Promise<void> {
  const total = options.projects * options.repositories;
  if (total > MAX_REPOSITORIES) {
    throw new InvalidArgumentError(`--projects ${options.projects} × --repositories ${options.repositories} is ${total} repositories; the simulator holds at most ${MAX_REPOSITORIES}: lower either`);
  }
  const sim = await listening(startDcSimulator({
    port: options.port, seed: options.seed, dateFormat: options.dateFormat, contextPath: options.contextPath, rateLimit: options.rateLimit,
    projects: options.projects, repositoriesPerProject: options.repositories, pullRequestsPerRepository: options.pullRequests,
  }), options.port);
  console.log(`Bitbucket Data Center ${sim.version} simulator listening on ${sim.url}`);
  console.log(`  REST API   ${sim.url}/rest/api/1.0     admin API ${sim.url}/_sim/instance`);
  const limit = options.rateLimit ? `${options.rateLimit.capacity} tokens, ${options.rateLimit.refillPerSecond}/s per user` : 'off';
  console.log(`  dates      ${options.dateFormat}     rate limit ${limit}`);
  for (const project of sim.model.projects) {
    const repos = sim.model.repositories.filter((repo) => repo.projectKey === project.key).map((repo) => repo.slug);
    console.log(`  project    ${project.key.padEnd(10)} ${repos.join(', ')}`);
  }
  if (sim.corrupt) console.log(`  corrupt    ${sim.corrupt.projectKey}/${sim.corrupt.repositorySlug} pull request #${sim.corrupt.pullRequestId} answers 500`);
  console.log('  sandbox personal access tokens (fake, for this simulator only):');
  for (const [role, credential] of Object.entries(sim.credentials)) {
    console.log(`    ${role.padEnd(8)} ${credential.username.padEnd(8)} Bearer ${credential.token}${credential.revoked ? '  (revoked: answers 401)' : ''}`);
  }
  await runUntilStopped(sim, options.activityMs);
}

export function registerSim(program: Command): void {
  const sim = program.command('sim').description('run a Bitbucket simulator on loopback');
  sim.command('cloud')
    .description('Bitbucket Cloud REST 2.0 with seeded history, Forge events, rate limits and fault injection')
    .option('--port <n>', 'port to listen on, 0 for any free port', port, 0)
    .option('--seed <s>', 'seed of the generated workspace (same seed, same data)', 'pandev')
    .option('--repositories <n>', `number of repositories, 1..${MAX_REPOSITORIES}`, repositoryCount, 5)
    .option('--rate-limit <n>', 'requests per rolling hour per credential, 0 for unlimited', integer, 1000)
    .option('--activity-ms <n>', 'generate random live activity every n milliseconds', integer)
    .action((options: CloudOptions) => runCloud(options));
  sim.command('datacenter')
    .description('Bitbucket Data Center REST 1.0 with seeded history, PAT auth, token-bucket 429, native signed webhooks')
    .option('--port <n>', 'port to listen on, 0 for any free port', port, 0)
    .option('--seed <s>', 'seed of the generated instance (same seed, same data)', 'pandev')
    .option('--date-format <f>', '9.x (epoch milliseconds) or 10.x (ISO 8601 strings)', dateFormat, '9.x')
    .option('--context-path <p>', 'serve under a context path, e.g. /bitbucket', '')
    // The default is shown as it is typed; commander would print the parsed object.
    .addOption(new Option('--rate-limit <c/r>', 'token bucket per user as capacity/refill-per-second, or off').argParser(rateLimit).default({ capacity: 60, refillPerSecond: 5 }, '60/5'))
    .option('--projects <n>', 'number of projects', integer, 2)
    .option('--repositories <n>', `repositories per project (at most ${MAX_REPOSITORIES} in all)`, repositoryCount, 3)
    .option('--pull-requests <n>', 'seeded pull requests per repository', integer, 8)
    .option('--activity-ms <n>', 'generate random live activity every n milliseconds', integer)
    .action((options: DatacenterOptions) => runDatacenter(options));
}
