import { dcEnv, inProcessBridge, projectRepositories, settledPass, type DcEnv } from './helpers';

// Build statuses come from Data Center's build-status resource: one counts request for every watched
// tip, then the statuses of the tips whose counts moved. An instance may lack the resource, or its
// counts, or fail on it for a while; none of that may fail a pass, lose a build for good, or cost a
// request per pass for a resource that is not there.

const STATS = 'POST /rest/build-status/1.0/commits/stats';
const STATUSES = 'GET /rest/build-status/1.0/commits/{commitId}';
const NOT_FOUND = JSON.stringify({ errors: [{ context: null, message: 'The requested resource could not be found.', exceptionName: null }] });
const DAY = 86_400_000;

let env: DcEnv;
let running: Awaited<ReturnType<typeof inProcessBridge>>;
let repository: string;
let lines: string[];
let now: number;

beforeEach(async () => {
  env = await dcEnv({ seed: 'build-resource', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false });
  const repo = projectRepositories(env.sim)[0]!;
  repository = `${repo.projectKey}/${repo.slug}`;
  lines = [];
  now = Date.now();
});
afterEach(async () => {
  await running.stop();
  await env.stop();
});

const start = async () => (running = await inProcessBridge(env.config(), lines, { clock: { now: () => now } }));
const routes = () => env.sim.stats().byRoute;
const logged = (text: string) => lines.filter((line) => line.includes(text)).length;
const buildsOf = (tip: string) => env.sink.deliveries().filter((d) => d.eventKey === 'pandev:build_status' && (d.body as { commit: { id: string } }).commit.id === tip).length;

/** A push and a build on its tip: the next pass delivers the push and watches the tip. */
async function pushedAndBuilt(): Promise<string> {
  const tip = env.sim.actions.pushCommits({ repository, commits: 1 }).commits[0]!;
  env.sim.actions.setBuildStatus({ repository, commit: tip, key: 'CI', state: 'SUCCESSFUL' });
  for (let pass = 0; pass < 3 && !env.sink.deliveries().some((d) => d.eventKey === 'repo:refs_changed' && JSON.stringify(d.body).includes(tip)); pass++) expect((await settledPass(running)).failed).toBe(0);
  return tip;
}

it('an instance without the build-status resource: the backfill and the passes go on, builds are not asked for again for a day, then are', async () => {
  const fault = env.sim.faults.add({ path: '^/rest/build-status/', status: 404, body: NOT_FOUND });
  await start();
  expect((await settledPass(running)).failed).toBe(0);
  expect(logged('this instance has no build-status resource')).toBe(1);
  expect(env.sink.deliveries().some((d) => d.eventKey === 'pr:opened')).toBe(true);

  // Off: a push is delivered, its build is not asked for.
  const faulted = env.sim.stats().faulted;
  const tip = await pushedAndBuilt();
  for (let pass = 0; pass < 2; pass++) await settledPass(running);
  expect(env.sim.stats().faulted).toBe(faulted);
  expect(buildsOf(tip)).toBe(0);

  // A day on (the plugin was turned on again): a new tip's build is read and sent.
  env.sim.faults.remove(fault);
  now += DAY + 60_000;
  const later = await pushedAndBuilt();
  await settledPass(running);
  expect(buildsOf(later)).toBe(1);
});

it('an instance without the counts resource: each watched tip is read on its own instead, for a day, and its build delivered', async () => {
  await start();
  await settledPass(running);
  const fault = env.sim.faults.add({ path: '/rest/build-status/1.0/commits/stats$', status: 404, body: NOT_FOUND });
  try {
    const tip = await pushedAndBuilt();
    await settledPass(running);
    expect(buildsOf(tip)).toBe(1);
    expect(logged('the build-status counts resource is not available')).toBe(1);
    // Not asked again while it is off: the watched tip is read alone, pass after pass.
    const faulted = env.sim.stats().faulted;
    const reads = routes()[STATUSES] ?? 0;
    await settledPass(running);
    expect(env.sim.stats().faulted).toBe(faulted);
    expect(routes()[STATUSES]).toBeGreaterThan(reads);
    expect(buildsOf(tip)).toBe(1);
  } finally {
    env.sim.faults.remove(fault);
  }
  // A day on, the counts are asked for again.
  now += DAY + 60_000;
  const asked = routes()[STATS] ?? 0;
  await pushedAndBuilt();
  await settledPass(running);
  expect(routes()[STATS]).toBeGreaterThan(asked);
});

it('statuses Bitbucket fails to serve for a while: the pass goes on, the watch is kept, and the build is delivered once it answers', async () => {
  await start();
  await settledPass(running);
  const fault = env.sim.faults.add({ path: '^/rest/build-status/1.0/commits/[0-9a-f]{40}$', status: 500, body: 'An error occurred while processing the request.' });
  let tip: string;
  try {
    tip = await pushedAndBuilt();
    await settledPass(running);
    expect(buildsOf(tip)).toBe(0);
    expect(logged('build statuses not read this pass')).toBeGreaterThan(0);
  } finally {
    env.sim.faults.remove(fault);
  }
  await settledPass(running);
  expect(buildsOf(tip)).toBe(1);
});
