import { dcEnv, type DcEnv, inProcessBridge, projectRepositories, settledPass, until, WEBHOOK_SECRET } from './helpers';

// A force push (or a branch deleted and made again) leaves the tip the bridge delivered last
// unreachable, and once Data Center has collected it, `commits?since=<that tip>` answers 404. The
// branch is then read as what it adds to the default branch (the default branch itself: its recent
// history), the push is marked forced, and the repository goes on being polled.

let env: DcEnv;
let running: Awaited<ReturnType<typeof inProcessBridge>>;
let repository: string;
beforeAll(async () => {
  env = await dcEnv({ seed: 'force-push', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false });
  running = await inProcessBridge(env.config());
  const repo = projectRepositories(env.sim)[0]!;
  repository = `${repo.projectKey}/${repo.slug}`;
  await pass();
});
afterAll(async () => {
  await running.stop();
  await env.stop();
});

const pass = () => settledPass(running);

/** A quiet repository reads its branches every other pass (with a tag pass between, every third). */
async function passes(): Promise<number[]> {
  return [(await pass()).failed, (await pass()).failed, (await pass()).failed];
}

const pushesOf = (branch: string) => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].ref.displayId === branch).map((d) => d.body as any);

describe('a branch whose delivered tip was force-pushed away', () => {
  it('is delivered from that tip to the new one with the commits it adds to the default branch, marked forced', async () => {
    env.sim.actions.createBranch({ repository, name: 'feature/rewrite' });
    const old = env.sim.actions.pushCommits({ repository, branch: 'feature/rewrite', commits: 2 }).commits;
    await passes();
    expect(pushesOf('feature/rewrite').map((p) => p.changes[0].toHash)).toEqual([old.at(-1)]);

    const rewritten = env.sim.actions.forcePush({ repository, branch: 'feature/rewrite', commits: 2 });
    expect(rewritten.removed.sort()).toEqual([...old].sort());
    expect(await passes()).toEqual([0, 0, 0]);
    const forced = pushesOf('feature/rewrite').filter((p) => p.changes[0].toHash === rewritten.commits.at(-1));
    expect(forced).toHaveLength(1);
    expect(forced[0].changes[0].fromHash).toBe(old.at(-1));
    expect(forced[0].pandev.ref.forced).toBe(true);
    expect(forced[0].pandev.commits.map((c: { id: string }) => c.id)).toEqual([...rewritten.commits].reverse());
    expect(env.sink.duplicates()).toBe(0);
  });

  it('on the default branch: its new commits are delivered, not the ones it lost', async () => {
    const repo = projectRepositories(env.sim)[0]!;
    const base = env.sim.model.repositories.find((r) => r.id === repo.id)!.branches.get(repo.defaultBranch) ?? repo.defaultBranch;
    const onto = env.sim.actions.createBranch({ repository, name: 'keep/base', from: base }).commit;
    const old = env.sim.actions.pushCommits({ repository, commits: 2 }).commits;
    await passes();
    expect(pushesOf(repo.defaultBranch).some((p) => p.changes[0].toHash === old.at(-1))).toBe(true);

    const rewritten = env.sim.actions.forcePush({ repository, branch: repo.defaultBranch, onto, commits: 1 });
    expect(rewritten.removed.sort()).toEqual([...old].sort());
    expect(await passes()).toEqual([0, 0, 0]);
    const forced = pushesOf(repo.defaultBranch).filter((p) => p.changes[0].toHash === rewritten.commits[0]);
    expect(forced).toHaveLength(1);
    expect(forced[0].changes[0].fromHash).toBe(old.at(-1));
    expect(forced[0].pandev.ref.forced).toBe(true);
    const ids = forced[0].pandev.commits.map((c: { id: string }) => c.id);
    expect(ids[0]).toBe(rewritten.commits[0]);
    expect(ids).not.toContain(old[0]);
    expect(env.sink.duplicates()).toBe(0);
  });

  it('that a webhook reports after a lost one, from a tip no longer there, is delivered once, as the poll would', async () => {
    env.sim.actions.createBranch({ repository, name: 'feature/late' });
    const old = env.sim.actions.pushCommits({ repository, branch: 'feature/late', commits: 1 }).commits;
    await passes();
    // This push's webhook was lost: the bridge's recorded tip stays the one the force push removes.
    const lost = env.sim.actions.pushCommits({ repository, branch: 'feature/late', commits: 1 }).commits;
    const hook = env.sim.webhooks.register(`${running.ops.url}/webhooks/bitbucket`, WEBHOOK_SECRET);
    let tip: string;
    try {
      const rewritten = env.sim.actions.forcePush({ repository, branch: 'feature/late', commits: 1 });
      tip = rewritten.commits[0]!;
      expect(rewritten.removed.sort()).toEqual([...old, ...lost].sort());
      await env.sim.webhooks.idle();
      await until(() => pushesOf('feature/late').some((p) => p.changes[0].toHash === tip), 10_000, 'the forced push from the webhook');
    } finally {
      env.sim.webhooks.remove(hook);
    }
    expect(await passes()).toEqual([0, 0, 0]);
    const delivered = pushesOf('feature/late').filter((p) => p.changes[0].toHash === tip);
    expect(delivered).toHaveLength(1);
    expect(delivered[0].changes[0].fromHash).toBe(old[0]);
    expect(delivered[0].pandev.ref.forced).toBe(true);
    expect(delivered[0].pandev.commits.map((c: { id: string }) => c.id)).toEqual([tip]);
    expect(env.sink.duplicates()).toBe(0);
  });
});
