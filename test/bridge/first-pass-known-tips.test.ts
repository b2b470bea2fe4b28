import { dcEnv, inProcessBridge, projectRepositories, settledPass, type DcEnv } from './helpers';

// A first pass (the backfill) reads branches newest tip first, and once a new branch adds nothing
// inside the window it takes every branch after it for older still and only remembers them. A first
// pass that failed after its branches went on record runs again as a first pass, with tips it already
// delivered. A delivered branch moved back to an older commit of its own adds nothing either, yet says
// nothing about the branches listed after it: they must still be read and sent.

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
  // Both made before the first pass, the parked branch first: its commit is the older of the two.
  env.sim.actions.createBranch({ repository, name: 'feature/zz-parked' });
  const [parked] = env.sim.actions.pushCommits({ repository, branch: 'feature/zz-parked', commits: 1 }).commits;
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
