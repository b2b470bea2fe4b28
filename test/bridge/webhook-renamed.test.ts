import { dcEnv, inProcessBridge, postWebhook, projectRepositories, settledPass, webhooksHandled, type DcEnv } from './helpers';

// A push webhook names the repository as it was when Data Center sent it. Renamed before the bridge
// handles it (its lock held by a pass, the bridge restarting), the repository answers 404 under that
// name: a deletion it carries is in no other source, so it must still reach PanDev, and the moves
// beside it too (the poll finds them, under the new name, when the webhook could not).

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'webhook-renamed', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false })));
afterAll(() => env.stop());

const pushes = (ref: string) =>
  env.sink.deliveries()
    .filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].ref.id === ref)
    .map((d) => `${(d.body as any).changes[0].type} ${d.headers['x-pandev-origin']}`);

it('a push holding a branch deletion, for a repository renamed since, still delivers the deletion and the rest of the push', async () => {
  const running = await inProcessBridge(env.config());
  try {
    await settledPass(running);
    const repo = projectRepositories(env.sim)[0]!;
    const repository = `${repo.projectKey}/${repo.slug}`;
    const a = env.sim.actions;
    a.createBranch({ repository, name: 'feature/gone' });
    a.pushCommits({ repository, branch: 'feature/gone', commits: 1 });
    // A quiet repository reads its pull requests and its branches in turn: two passes read the branches.
    for (let i = 0; i < 2; i++) await settledPass(running);
    expect(pushes('refs/heads/feature/gone')).toEqual(['ADD poll']);

    // One push (`git push origin :feature/gone feature/new`) as Data Center sends it: both changes in one body.
    const deletion = a.deleteBranch({ repository, name: 'feature/gone' }).events[0]!;
    a.createBranch({ repository, name: 'feature/new' });
    const made = a.pushCommits({ repository, branch: 'feature/new', commits: 1 }).events.find((e) => e.eventKey === 'repo:refs_changed')!;
    const body = { ...(deletion.body as object), changes: [...(deletion.body as any).changes, ...(made.body as any).changes] };
    a.updateRepository({ repository, name: 'Renamed Before Handling' });

    expect((await postWebhook(running, { eventKey: 'repo:refs_changed', body })).status).toBe(202);
    await webhooksHandled(running);
    for (let i = 0; i < 3; i++) await settledPass(running);

    expect(pushes('refs/heads/feature/gone')).toEqual(['ADD poll', 'DELETE webhook']);
    expect(pushes('refs/heads/feature/new')).toEqual(['ADD poll']);
    expect(env.sink.duplicates()).toBe(0);
  } finally {
    await running.stop();
  }
});
