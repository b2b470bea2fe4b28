import { readStatus } from '../../src/bridge/cli/status';
import { dcEnv, inProcessBridge, projectRepositories, settledPass, type DcEnv } from './helpers';

// A pull request Bitbucket fails to serve is set aside (skipped) and read again on the next passes that
// read the pull requests, on its own: the list does not reach it again unless it changes. Each way such
// a retry can end is here (read at last, deleted meanwhile, changed and read with the list), and one the
// list itself answers malformed. Each pass also reads five minutes behind its watermark, so the
// simulator's clock is the test's: moved on, the list stops above a pull request set aside minutes before.

let simNow = Date.now() - 6 * 3_600_000;
let env: DcEnv;
let running: Awaited<ReturnType<typeof inProcessBridge>>;
let repository: string;
const lines: string[] = [];

beforeAll(async () => {
  env = await dcEnv({ seed: 'pull-request-retries', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 6, corruptPullRequest: false, historyDays: 1, baseTime: simNow, clock: { now: () => simNow } });
  const repo = projectRepositories(env.sim)[0]!;
  repository = `${repo.projectKey}/${repo.slug}`;
  running = await inProcessBridge(env.config(), lines);
  await settledPass(running);
});
afterAll(async () => {
  await running.stop();
  await env.stop();
});

const ONE_PULL_REQUEST = 'GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}';
const readsAlone = () => env.sim.stats().byRoute[ONE_PULL_REQUEST] ?? 0;

/** Its own endpoints (itself, its activities, its changes) answer 500 until the fault is removed. */
const broken = (id: number) => env.sim.faults.add({ path: `/pull-requests/${id}(/|$)`, status: 500, body: 'An error occurred while processing the request.' });

async function skipped(id: number): Promise<number> {
  const report = await readStatus(running.bridge.store);
  return report.repositories.flatMap((repo) => repo.skipped).find((skip) => skip.pullRequest === id)?.failures ?? 0;
}

/** Passes until `done` holds (a quiet repository reads its pull requests every other pass), at most six. */
async function passesUntil(done: () => Promise<boolean> | boolean): Promise<void> {
  for (let pass = 0; pass < 6 && !(await done()); pass++) expect((await settledPass(running)).failed).toBe(0);
  expect(await done()).toBe(true);
}

/** How many times PanDev got the comment `text` on pull request `id`. */
function comments(id: number, text: string): number {
  return env.sink.deliveries().filter((d) => {
    const body = d.body as { pullRequest: { id: number }; comment?: { text: string } };
    return d.eventKey === 'pr:comment:added' && body.pullRequest.id === id && body.comment?.text === text;
  }).length;
}

/**
 * A pull request set aside on a comment it could not be read for; then ten minutes on, another pull
 * request is opened, so the list's reads stop above it.
 */
async function setAside(id: number, text: string): Promise<string> {
  const fault = broken(id);
  simNow += 60_000;
  env.sim.actions.addComment({ repository, pullRequestId: id, text });
  await passesUntil(async () => (await skipped(id)) > 0);
  expect(comments(id, text)).toBe(0);
  simNow += 10 * 60_000;
  env.sim.actions.openPullRequest({ repository, title: `meanwhile, after ${text}`, commits: 1 });
  return fault;
}

const pullRequestIds = () => [...projectRepositories(env.sim)[0]!.summaries()].map((pr) => pr.id);

it('reads a set-aside pull request on its own until Bitbucket serves it, then delivers what it missed once and stops retrying', async () => {
  const id = pullRequestIds()[0]!;
  const fault = await setAside(id, 'first try fails');
  // Still failing: read alone again (the simulator counts a faulted answer apart), and counted.
  const before = env.sim.stats().faulted;
  await passesUntil(async () => (await skipped(id)) >= 2);
  expect(env.sim.stats().faulted).toBeGreaterThan(before);

  env.sim.faults.remove(fault);
  await passesUntil(async () => (await skipped(id)) === 0);
  expect(comments(id, 'first try fails')).toBe(1);
  expect(lines.some((line) => line.includes('a pull request set aside earlier was read this time') && line.includes(`"pullRequest":${id}`) && line.includes('"after":2'))).toBe(true);
  // Done with: later passes neither read it alone nor send it again.
  const after = readsAlone();
  for (let pass = 0; pass < 2; pass++) await settledPass(running);
  expect(readsAlone()).toBe(after);
  expect(comments(id, 'first try fails')).toBe(1);
});

it('forgets a set-aside pull request deleted meanwhile, and says so', async () => {
  const id = pullRequestIds()[1]!;
  env.sim.faults.remove(await setAside(id, 'about to go'));
  env.sim.actions.deletePullRequest({ repository, pullRequestId: id });
  await passesUntil(async () => (await skipped(id)) === 0);
  expect(lines.some((line) => line.includes('a pull request set aside earlier no longer exists') && line.includes(`"pullRequest":${id}`))).toBe(true);
  const after = readsAlone();
  for (let pass = 0; pass < 2; pass++) await settledPass(running);
  expect(readsAlone()).toBe(after);
});

it('a set-aside pull request that changes again is read with the list, not a second time on its own', async () => {
  const id = pullRequestIds()[2]!;
  env.sim.faults.remove(await setAside(id, 'missed'));
  simNow += 60_000;
  env.sim.actions.addComment({ repository, pullRequestId: id, text: 'and another' });
  const before = readsAlone();
  await passesUntil(async () => (await skipped(id)) === 0);
  expect(readsAlone()).toBe(before);
  expect([comments(id, 'missed'), comments(id, 'and another')]).toEqual([1, 1]);
});

it('a set-aside pull request that changes and fails again with the list is counted once for the pass, not read again alone', async () => {
  const id = pullRequestIds()[3]!;
  const fault = await setAside(id, 'still broken');
  const failures = await skipped(id);
  simNow += 60_000;
  env.sim.actions.addComment({ repository, pullRequestId: id, text: 'broken again' });
  const before = readsAlone();
  await passesUntil(async () => (await skipped(id)) > failures);
  expect(await skipped(id)).toBe(failures + 1);
  expect(readsAlone()).toBe(before);
  env.sim.faults.remove(fault);
  await passesUntil(async () => (await skipped(id)) === 0);
  expect([comments(id, 'still broken'), comments(id, 'broken again')]).toEqual([1, 1]);
});

it('a pull request the list answers in a shape the bridge cannot read is set aside with that reason, the rest delivered, and read on its own', async () => {
  const [id, other] = [pullRequestIds()[4]!, pullRequestIds()[5]!];
  // The list alone: the pull request's own endpoint still answers well.
  const fault = env.sim.faults.add({ path: '/pull-requests$', corruptItem: { id, set: { updatedDate: 'yesterday' } } });
  try {
    simNow += 60_000;
    env.sim.actions.addComment({ repository, pullRequestId: id, text: 'listed badly' });
    simNow += 1000;
    env.sim.actions.addComment({ repository, pullRequestId: other, text: 'listed well' });
    await passesUntil(async () => (await skipped(id)) > 0);
    expect([comments(id, 'listed badly'), comments(other, 'listed well')]).toEqual([0, 1]);
    const report = await readStatus(running.bridge.store);
    expect(report.repositories.flatMap((repo) => repo.skipped).find((skip) => skip.pullRequest === id)?.reason).toMatch(/^malformed pull request in the list \(updatedDate: /);

    simNow += 10 * 60_000;
    env.sim.actions.openPullRequest({ repository, title: 'meanwhile, after listed badly', commits: 1 });
    await passesUntil(async () => (await skipped(id)) === 0);
    expect(comments(id, 'listed badly')).toBe(1);
  } finally {
    env.sim.faults.remove(fault);
  }
});
