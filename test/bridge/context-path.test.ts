import { dcEnv, deliveredPullRequestEvents, expectedPullRequestEvents, inProcessBridge, projectRepositories, settledPass, sorted, type DcEnv } from './helpers';

// Many Data Center instances live under a path of their host (https://example.com/bitbucket). The
// bridge reads them with BITBUCKET_URL the bare host and BITBUCKET_CONTEXT_PATH the path.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'context-path', contextPath: '/bitbucket', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 3, corruptPullRequest: false })));
afterAll(() => env.stop());

it('backfills and then polls an instance under a context path', async () => {
  const running = await inProcessBridge(env.config({ BITBUCKET_URL: new URL(env.sim.url).origin, BITBUCKET_CONTEXT_PATH: '/bitbucket' }));
  try {
    const pass = await settledPass(running);
    expect(pass).toMatchObject({ failed: 0 });
    expect(sorted(deliveredPullRequestEvents(env.sink))).toEqual(sorted(expectedPullRequestEvents(env.sim)));
    const repo = projectRepositories(env.sim)[0]!;
    const pushed = env.sim.actions.pushCommits({ repository: `${repo.projectKey}/${repo.slug}`, commits: 1 });
    env.sim.actions.setBuildStatus({ repository: `${repo.projectKey}/${repo.slug}`, commit: pushed.commits[0]!, key: 'ci', state: 'FAILED' });
    for (let i = 0; i < 3; i++) expect(await settledPass(running)).toMatchObject({ failed: 0 });
    const keys = env.sink.deliveries().filter((d) => JSON.stringify(d.body).includes(pushed.commits[0]!)).map((d) => d.eventKey).sort();
    expect(keys).toEqual(['pandev:build_status', 'repo:refs_changed']);
  } finally {
    await running.stop();
  }
});
