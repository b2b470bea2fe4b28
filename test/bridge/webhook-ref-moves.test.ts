import { dcEnv, inProcessBridge, projectRepositories, settledPass, webhooksHandled, WEBHOOK_SECRET, type DcEnv } from './helpers';

// Ref moves as webhooks report them: each reaches PanDev once, with what the poll would have sent for
// it, and the poll that follows sends none of them again.

let env: DcEnv;
let running: Awaited<ReturnType<typeof inProcessBridge>>;
let repository: string;
beforeAll(async () => {
  env = await dcEnv({ seed: 'webhook-ref-moves', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false });
  running = await inProcessBridge(env.config());
  const repo = projectRepositories(env.sim)[0]!;
  repository = `${repo.projectKey}/${repo.slug}`;
  await settledPass(running);
  env.sim.webhooks.register(`${running.ops.webhookUrl}/webhooks/bitbucket`, WEBHOOK_SECRET);
});
afterAll(async () => {
  await running.stop();
  await env.stop();
});

async function handled(): Promise<void> {
  await env.sim.webhooks.idle();
  await webhooksHandled(running);
}

const pushesOf = (ref: string) => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].ref.id === ref);

describe('webhook ref moves', () => {
  it('a branch made at the default branch tip carries no commits: its history is the default branch\'s', async () => {
    env.sim.actions.createBranch({ repository, name: 'feature/at-tip' });
    await handled();
    for (let i = 0; i < 3; i++) await settledPass(running);
    const pushes = pushesOf('refs/heads/feature/at-tip');
    expect(pushes.map((d) => [(d.body as any).changes[0].type, (d.body as any).pandev.commits.length])).toEqual([['ADD', 0]]);
    expect(env.sink.duplicates()).toBe(0);
  });

  it('a branch deleted and made again at the same commit reaches PanDev three times, each once', async () => {
    const { commit } = env.sim.actions.createBranch({ repository, name: 'feature/again' });
    env.sim.actions.pushCommits({ repository, branch: 'feature/again', commits: 1 });
    await handled();
    const tip = (pushesOf('refs/heads/feature/again').at(-1)!.body as any).changes[0].toHash as string;
    expect(tip).not.toBe(commit);
    env.sim.actions.deleteBranch({ repository, name: 'feature/again' });
    await handled();
    env.sim.actions.createBranch({ repository, name: 'feature/again', from: tip });
    await handled();
    for (let i = 0; i < 3; i++) await settledPass(running);
    const moves = pushesOf('refs/heads/feature/again').map((d) => `${(d.body as any).changes[0].type} ${d.headers['x-pandev-origin']}`);
    expect(moves).toEqual(['ADD webhook', 'UPDATE webhook', 'DELETE webhook', 'ADD webhook']);
    expect(env.sink.duplicates()).toBe(0);
  });

  it('a tag moved to another commit (deleted, made again) reaches PanDev as each move', async () => {
    const first = env.sim.actions.pushCommits({ repository, commits: 2 }).commits;
    env.sim.actions.createTag({ repository, name: 'v1', target: first[0] });
    await handled();
    env.sim.actions.deleteTag({ repository, name: 'v1' });
    env.sim.actions.createTag({ repository, name: 'v1', target: first[1] });
    env.sim.actions.deleteTag({ repository, name: 'v1' });
    env.sim.actions.createTag({ repository, name: 'v1', target: first[0] });
    await handled();
    for (let i = 0; i < 10; i++) await settledPass(running);
    const moves = pushesOf('refs/tags/v1').map((d) => { const change = (d.body as any).changes[0]; return `${change.type} ${change.type === 'DELETE' ? change.fromHash : change.toHash}`; });
    expect(moves).toEqual([`ADD ${first[0]}`, `DELETE ${first[0]}`, `ADD ${first[1]}`, `DELETE ${first[1]}`, `ADD ${first[0]}`]);
    expect(env.sink.duplicates()).toBe(0);
  });
});
