import { findCommit } from '../../src/sandbox/dc-sim/model/commits';
import { branchTip } from '../../src/sandbox/dc-sim/model/refs';
import { dcEnv, dcEnvLongAgo, inProcessBridge, projectRepositories, settledPass, type DcEnv } from './helpers';

// A first pass (the backfill) reads branches newest tip first, and once a new branch's own tip is older
// than the window it takes every branch after it for older still and only remembers them. Nothing else
// may end that reading: not a branch just started from the default branch (it lists no commit of its
// own, yet may be recent), and not a branch a failed first pass already delivered that has since moved
// back to an older commit of its own (the first pass runs again, with tips it knows).

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'first-pass-known', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 3, corruptPullRequest: false })));
afterAll(() => env.stop());

const pushesOf = (branch: string) =>
  env.sink
    .deliveries()
    .filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as { changes: Array<{ ref: { displayId: string } }> }).changes[0]!.ref.displayId === branch)
    .map((d) => d.body as { changes: Array<{ fromHash: string; toHash: string }>; commits?: Array<{ id: string }> });

it('a delivered branch moved back does not cut the first pass short: the branches after it are still sent', async () => {
  const repo = projectRepositories(env.sim)[0]!;
  const repository = `${repo.projectKey}/${repo.slug}`;
  // Made before the first pass in this order, each commit newer than the one before: the parked
  // branch, one on the default branch, the branch to be moved back.
  env.sim.actions.createBranch({ repository, name: 'feature/zz-parked' });
  const [parked] = env.sim.actions.pushCommits({ repository, branch: 'feature/zz-parked', commits: 1 }).commits;
  env.sim.actions.pushCommits({ repository, branch: repo.defaultBranch, commits: 1 });
  env.sim.actions.createBranch({ repository, name: 'feature/moved-back' });
  const [kept, dropped] = env.sim.actions.pushCommits({ repository, branch: 'feature/moved-back', commits: 2 }).commits;
  // The first pass fails once its branches are on record (at the tags).
  env.sim.faults.add({ method: 'GET', path: `/projects/${repo.projectKey}/repos/${repo.slug}/tags$`, status: 400, times: 1 });
  const running = await inProcessBridge(env.config());
  try {
    expect((await settledPass(running)).failed).toBe(1);
    expect(pushesOf('feature/moved-back').map((p) => p.changes[0]!.toHash)).toEqual([dropped]);

    // Between the passes: the delivered branch goes back one commit (still the newest tip, listed
    // first), and a new branch starts at the parked commit, inside the window and not on the default
    // branch (listed after it: older, or the same second and later by name).
    // A tag keeps the commit it left reachable, so the move adds nothing (not a rewrite read from the
    // default branch).
    env.sim.actions.createTag({ repository, name: 'before-move-back', target: dropped! });
    env.sim.actions.forcePush({ repository, branch: 'feature/moved-back', onto: kept!, commits: 0 });
    env.sim.actions.createBranch({ repository, name: 'feature/zz-from-parked', from: parked! });
    // And a branch started from the default branch, which this pass knows and so does not read: its
    // tip's time is read to tell it inside the window (listed before the parked commit's branch).
    env.sim.actions.createBranch({ repository, name: 'feature/just-started-again' });

    expect((await settledPass(running)).failed).toBe(0);
    const fromParked = pushesOf('feature/zz-from-parked');
    expect(fromParked.map((p) => [p.changes[0]!.toHash, p.commits?.map((c) => c.id)])).toEqual([[parked, [parked]]]);
    // The move back is a push of no commits, from the tip PanDev has to the one Bitbucket has.
    expect(pushesOf('feature/moved-back').map((p) => [p.changes[0]!.fromHash, p.changes[0]!.toHash, p.commits?.length ?? 0])).toEqual([
      [expect.any(String), dropped, expect.any(Number)],
      [dropped, kept, 0],
    ]);
  } finally {
    await running.stop();
  }
}, 60_000);

it('a new branch that adds nothing to the default branch does not cut the first pass short', async () => {
  const repo = projectRepositories(env.sim)[0]!;
  const repository = `${repo.projectKey}/${repo.slug}`;
  // Older work of its own, then a newer commit on the default branch and a branch started from it with
  // nothing of its own yet: listed before the older work, inside the window, adding no commit.
  env.sim.actions.createBranch({ repository, name: 'feature/older-work' });
  const older = env.sim.actions.pushCommits({ repository, branch: 'feature/older-work', commits: 2 }).commits;
  env.sim.actions.pushCommits({ repository, branch: repo.defaultBranch, commits: 1 });
  env.sim.actions.createBranch({ repository, name: 'feature/just-started' });
  const db = `${env.dir}/second.db`;
  const running = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  try {
    expect((await settledPass(running)).failed).toBe(0);
    expect(pushesOf('feature/older-work').filter((p) => p.commits?.length).map((p) => p.commits!.map((c) => c.id).sort())).toContainEqual([...older].sort());
  } finally {
    await running.stop();
  }
}, 60_000);

/** One first pass on a new state file: the commit listings and single-commit reads it made, and the branches there are. */
async function firstPassReads(on: DcEnv) {
  on.sim.resetStats();
  const running = await inProcessBridge(on.config());
  try {
    expect((await settledPass(running)).failed).toBe(0);
  } finally {
    await running.stop();
  }
  const reads = on.sim.stats().byRoute;
  return {
    listings: reads['GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/commits'] ?? 0,
    tipReads: reads['GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}'] ?? 0,
    branches: on.sim.model.repositories.reduce((count, each) => count + each.branches.size, 0),
  };
}

it('a new branch older than the window still ends the first pass’s reading: the branches after it are only remembered', async () => {
  const old = await dcEnvLongAgo('first-pass-old');
  try {
    const repo = projectRepositories(old.sim)[0]!;
    const repository = `${repo.projectKey}/${repo.slug}`;
    for (const name of ['feature/ancient-1', 'feature/ancient-2', 'feature/ancient-3']) {
      old.sim.actions.createBranch({ repository, name });
      old.sim.actions.pushCommits({ repository, branch: name, commits: 1 });
    }
    old.today();
    old.sim.actions.pushCommits({ repository, branch: repo.defaultBranch, commits: 1 });
    old.sim.actions.createBranch({ repository, name: 'feature/just-started' });
    const { listings, tipReads, branches } = await firstPassReads(old);
    // Every branch is read down to the window's edge but the two listed after the first old one.
    expect(listings).toBe(branches - 2);
    // The branch just started lists no commit of its own; its tip is among the default branch's
    // commits this pass read inside the window, so telling its time takes no request.
    expect(tipReads).toBe(0);
    expect(old.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && /ancient|just-started/.test(JSON.stringify((d.body as { changes: unknown }).changes)))).toEqual([]);
  } finally {
    await old.stop();
  }
}, 60_000);

it('a branch started from the default branch before the window ends the reading, told from the default branch’s commits without a request', async () => {
  const old = await dcEnvLongAgo('first-pass-old-start');
  try {
    const repo = projectRepositories(old.sim)[0]!;
    const repository = `${repo.projectKey}/${repo.slug}`;
    const oldTip = branchTip(old.sim.model, repo, repo.defaultBranch)!;
    // Both start on the default branch's seeded history, the second further back: listed in that order.
    old.sim.actions.createBranch({ repository, name: 'feature/started-long-ago', from: oldTip });
    old.sim.actions.createBranch({ repository, name: 'feature/started-longer-ago', from: findCommit(old.sim.model, repo, oldTip)!.parents[0]! });
    old.today();
    old.sim.actions.pushCommits({ repository, branch: repo.defaultBranch, commits: 1 });
    const { listings, tipReads, branches } = await firstPassReads(old);
    expect(listings).toBe(branches - 1);
    expect(tipReads).toBe(0);
  } finally {
    await old.stop();
  }
}, 60_000);
