import { dcEnv, inProcessBridge, projectRepositories, type DcEnv } from './helpers';

// A repository the bridge cannot read this pass (403: the token's user lost access; 404: renamed,
// moved or deleted) fails on its own with a reason that says what to do, and the others go on.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'repository-failures', projects: 1, repositoriesPerProject: 3, pullRequestsPerRepository: 3, corruptPullRequest: false })));
afterAll(() => env.stop());

const pushesTo = (repositoryId: number, tip: string) => env.sink.deliveries().some((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).repository.id === repositoryId && (d.body as any).changes[0].toHash === tip);

describe('a repository the bridge cannot read', () => {
  it('403: says what to do about the access, and the other repositories are still delivered', async () => {
    const lines: string[] = [];
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/forbidden.db` }), lines);
    try {
      await running.runPass();
      const [locked, open] = projectRepositories(env.sim);
      const fault = env.sim.faults.add({ path: `^/rest/api/1\\.0/projects/${locked!.projectKey}/repos/${locked!.slug}/`, status: 403 });
      const tip = env.sim.actions.pushCommits({ repository: `${open!.projectKey}/${open!.slug}`, commits: 1 }).commits[0]!;
      for (let i = 0; i < 2; i++) await running.runPass();
      await running.bridge.queue.idle();
      env.sim.faults.remove(fault);
      expect(pushesTo(open!.id, tip)).toBe(true);
      const failure = lines.map((line) => JSON.parse(line) as { repository?: string; reason?: string; msg: string }).find((l) => l.repository === `${locked!.projectKey}/${locked!.slug}` && l.msg.startsWith('repository poll failed'));
      expect(failure?.reason).toMatch(/403/);
      expect(failure?.reason).toMatch(/Repository read/);
      expect(failure?.reason).toMatch(/BITBUCKET_REPOS/);
    } finally {
      await running.stop();
    }
  });

  it('404 after a rename: the repository list is read again at once, not ten minutes later, and its changes arrive', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/renamed.db` }));
    try {
      await running.runPass();
      const repo = projectRepositories(env.sim)[2]!;
      env.sim.actions.updateRepository({ repository: `${repo.projectKey}/${repo.slug}`, name: 'renamed-repository' });
      const tip = env.sim.actions.pushCommits({ repository: `${repo.projectKey}/renamed-repository`, commits: 1 }).commits[0]!;
      const failed: number[] = [];
      for (let i = 0; i < 4 && !pushesTo(repo.id, tip); i++) {
        failed.push((await running.runPass()).failed);
        await running.bridge.queue.idle();
      }
      expect(pushesTo(repo.id, tip)).toBe(true);
      // One pass meets the 404; the next one polls the repository under its new name.
      expect(failed[0]).toBe(1);
      expect(failed.slice(1).every((n) => n === 0)).toBe(true);
    } finally {
      await running.stop();
    }
  });
});
