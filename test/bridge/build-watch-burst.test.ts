import { dcEnv, inProcessBridge, projectRepositories, settledPass, type DcEnv } from './helpers';

// Build statuses arrive minutes after a push, and Data Center has no feed of them: moved tips are
// watched. A burst of more tips than one repository's watch holds (a bot rebasing every branch) must
// still get every build status to PanDev, or say which it could not watch.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'burst', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false })));
afterAll(() => env.stop());

it('delivers the builds of a burst of 120 moved tips in one repository', async () => {
  const lines: string[] = [];
  const running = await inProcessBridge(env.config(), lines);
  try {
    await settledPass(running);
    const repo = projectRepositories(env.sim)[0]!;
    const repository = `${repo.projectKey}/${repo.slug}`;
    const tips: string[] = [];
    for (let i = 0; i < 120; i++) {
      env.sim.actions.createBranch({ repository, name: `bot/update-${i}` });
      tips.push(env.sim.actions.pushCommits({ repository, branch: `bot/update-${i}`, commits: 1 }).commits[0]!);
    }
    // Two passes: a quiet repository reads one feed a pass, so the second one finds the branches.
    await settledPass(running);
    await settledPass(running);
    const moved = env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].ref.displayId.startsWith('bot/update-'));
    expect(moved).toHaveLength(120);
    // CI reports after the pass that saw the pushes.
    for (const commit of tips) env.sim.actions.setBuildStatus({ repository, commit, key: 'ci', state: 'SUCCESSFUL' });
    await settledPass(running);
    await settledPass(running);
    const built = new Set(env.sink.deliveries().filter((d) => d.eventKey === 'pandev:build_status').map((d) => (d.body as any).commit.id as string));
    const missing = tips.filter((tip) => !built.has(tip));
    expect({ missing: missing.length, warned: lines.filter((line) => line.includes('more tips moved within two hours')).length }).toEqual({ missing: 0, warned: 0 });
  } finally {
    await running.stop();
  }
}, 60_000);
