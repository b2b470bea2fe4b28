import { dcEnv, inProcessBridge, projectRepositories, settledPass, type DcEnv } from './helpers';

// pandev_bridge_last_successful_poll_timestamp_seconds is what an operator alerts on ("a repository
// not polled for an hour"). A repository renamed or deleted is no longer polled under its old name:
// its series must go, or the alert fires for it until the bridge restarts.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'metrics-renamed', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 1, corruptPullRequest: false })));
afterAll(() => env.stop());

it('drops the last-poll series of a renamed repository and keeps the one under its new name', async () => {
  const running = await inProcessBridge(env.config());
  const series = async () => {
    const text = await (await fetch(`${running.ops.url}/metrics`)).text();
    return [...text.matchAll(/^pandev_bridge_last_successful_poll_timestamp_seconds\{repository="([^"]+)"\}/gm)].map((m) => m[1]!);
  };
  try {
    await settledPass(running);
    const repo = projectRepositories(env.sim)[0]!;
    const old = `${repo.projectKey}/${repo.slug}`;
    expect(await series()).toContain(old);
    const { slug } = env.sim.actions.updateRepository({ repository: old, name: 'Renamed Service' });
    // One pass meets the 404 and lists again; the next polls it under its new name.
    for (let i = 0; i < 3; i++) await settledPass(running);
    const now = await series();
    expect(now).toContain(`${repo.projectKey}/${slug}`);
    expect(now).not.toContain(old);
  } finally {
    await running.stop();
  }
});
