import { dcEnv, inProcessBridge, projectRepositories, settledPass } from './helpers';

// A poll dates a push by its tip commit's time. A move that brings no commit (a tag, a branch made at a
// commit the repository had) has none to go by, and went out dated 1970. It was made between the pass
// before and the one that found it, so that pass's time stands for it.

it('a tag and a branch made at an existing commit, found by a later poll, are dated when the poll found them', async () => {
  const env = await dcEnv({ seed: 'ref-move-times', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false });
  const running = await inProcessBridge(env.config());
  try {
    await settledPass(running);
    const repo = projectRepositories(env.sim)[0]!;
    const repository = `${repo.projectKey}/${repo.slug}`;
    env.sim.actions.createTag({ repository, name: 'v9.9.9', target: repo.defaultBranch });
    env.sim.actions.createBranch({ repository, name: 'feature/just-made' });
    const pushOf = (name: string) => env.sink.deliveries().find((d) => d.eventKey === 'repo:refs_changed' && (d.body as { changes: Array<{ ref: { displayId: string } }> }).changes[0]!.ref.displayId === name);
    const before = Date.now();
    // Tags are listed every tenth pass.
    for (let pass = 0; pass < 12 && !(pushOf('v9.9.9') && pushOf('feature/just-made')); pass++) expect((await settledPass(running)).failed).toBe(0);
    const after = Date.now();
    for (const name of ['v9.9.9', 'feature/just-made']) {
      const body = pushOf(name)?.body as { date: string; commits: unknown[]; pandev: { event_time: string } };
      expect(body.commits).toEqual([]);
      expect(Date.parse(body.pandev.event_time)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(body.pandev.event_time)).toBeLessThanOrEqual(after);
      // Data Center's own format, to the second.
      expect(Date.parse(body.date)).toBe(Math.floor(Date.parse(body.pandev.event_time) / 1000) * 1000);
    }
  } finally {
    await running.stop();
    await env.stop();
  }
});
