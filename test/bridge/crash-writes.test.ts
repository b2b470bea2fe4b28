import { dcEnv, inProcessBridge, postWebhook, projectRepositories, settledPass, until, webhooksHandled, type DcEnv } from './helpers';

// The bridge can be killed at any write. Whatever makes a later pass or a replayed webhook pass a change
// over (a pull request's memory, a ref's tip) must be written only after that change is in the outbox,
// and after whatever else it leads to is on record (a build watch): else the kill falls between the two,
// and the change is never sent. Each case kills the bridge at one write: from there on it writes nothing,
// as a killed process would; a new bridge then starts on the same state file.

let env: DcEnv;
let repository: string;
beforeAll(async () => {
  env = await dcEnv({ seed: 'crash-writes', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false });
  const repo = projectRepositories(env.sim)[0]!;
  repository = `${repo.projectKey}/${repo.slug}`;
});
afterAll(() => env.stop());

type Running = Awaited<ReturnType<typeof inProcessBridge>>;

/** The bridge's state refuses every write from the first one `at` matches: the process died there. */
function killAt(running: Running, at: (key: string, value: unknown) => boolean): { killed: () => boolean } {
  const store = running.bridge.store;
  const { set, delete: remove } = store;
  let killed = false;
  const dead = () => Promise.reject(new Error('the bridge was killed'));
  store.set = (key, value, options) => {
    if (!killed && at(key, value)) killed = true;
    return killed ? dead() : set(key, value, options);
  };
  store.delete = (key) => (killed ? dead() : remove(key));
  return { killed: () => killed };
}

/** A quiet repository's pass reads one feed, pull requests and branches in turn (poll/repository-pass.ts). */
async function passes(running: Running, count = 3): Promise<void> {
  for (let i = 0; i < count; i++) await settledPass(running);
}

const delivered = (eventKey: string, match: (body: any) => boolean) => env.sink.deliveries().filter((d) => d.eventKey === eventKey && match(d.body));

describe('killed while handling a pr:modified webhook', () => {
  // Where the modification is staged (the outbox) and where the poll's memory takes its content: the
  // memory written first, a replay of the saved webhook found it up to date and dropped the webhook as
  // not new, and the poll, comparing with that memory, found nothing either.
  it.each([
    ['staging the modification', (key: string) => key.startsWith('outbox:')],
    ["writing the poll's memory of the pull request", (key: string) => key.startsWith('dc:pr:')],
  ])('delivers the modification once after a restart, killed at %s', async (_, at) => {
    const config = env.config({ BRIDGE_DB: `${env.dir}/modified-${at('outbox:') ? 'outbox' : 'memory'}.db` });
    const first = await inProcessBridge(config);
    const pr = env.sim.actions.openPullRequest({ repository, title: 'Edited before a kill' });
    await passes(first);
    const [edit] = env.sim.actions.updatePullRequest({ repository, pullRequestId: pr.pullRequestId, title: 'Edited, then killed' }).events;
    const kill = killAt(first, at);
    expect((await postWebhook(first, edit!)).status).toBe(202);
    await until(kill.killed, 10_000, 'the bridge to be killed handling the webhook');
    await first.stop().catch(() => undefined);

    const second = await inProcessBridge(config);
    try {
      await webhooksHandled(second);
      await passes(second);
      const modified = delivered('pr:modified', (body) => body.pullRequest.id === pr.pullRequestId);
      expect(modified.map((d) => (d.body as any).pullRequest.title)).toEqual(['Edited, then killed']);
    } finally {
      await second.stop();
    }
  }, 60_000);
});

describe('killed once a moved tip is on record, before its build watch is', () => {
  // The tip a push moved a branch to is watched for its build statuses (poll/builds.ts). Staging the push
  // records the ref's new tip: a kill before the watch left a ref that no later pass or replayed webhook
  // takes for a move, and the commit was never watched, its builds never sent.
  const watching = (tip: string) => (key: string, value: unknown) => key.startsWith('dc:builds:') && JSON.stringify(value).includes(tip);

  async function buildsAfterRestart(config: ReturnType<DcEnv['config']>, tip: string): Promise<void> {
    const second = await inProcessBridge(config);

    try {
      await webhooksHandled(second);
      await passes(second);
      env.sim.actions.setBuildStatus({ repository, commit: tip, key: 'ci', state: 'SUCCESSFUL' });
      await passes(second, 2);
      expect(delivered('pandev:build_status', (body) => body.commit.id === tip)).toHaveLength(1);
      expect(delivered('repo:refs_changed', (body) => body.changes[0].toHash === tip)).toHaveLength(1);
    } finally {
      await second.stop();
    }
  }

  it('watches a tip the poll found moved', async () => {
    const config = env.config({ BRIDGE_DB: `${env.dir}/builds-poll.db` });
    const first = await inProcessBridge(config);
    await passes(first);
    const [tip] = env.sim.actions.pushCommits({ repository, commits: 1 }).commits;
    const kill = killAt(first, watching(tip!));
    for (let i = 0; i < 3 && !kill.killed(); i++) await settledPass(first).catch(() => undefined);
    expect(kill.killed()).toBe(true);
    await first.stop().catch(() => undefined);
    await buildsAfterRestart(config, tip!);
  }, 60_000);

  it('watches a tip a push webhook moved', async () => {
    const config = env.config({ BRIDGE_DB: `${env.dir}/builds-webhook.db` });
    const first = await inProcessBridge(config);
    await passes(first);
    const pushed = env.sim.actions.pushCommits({ repository, commits: 1 });
    const tip = pushed.commits[0]!;
    const kill = killAt(first, watching(tip));
    expect((await postWebhook(first, pushed.events.find((e) => e.eventKey === 'repo:refs_changed')!)).status).toBe(202);
    await until(kill.killed, 10_000, 'the bridge to be killed handling the webhook');
    await first.stop().catch(() => undefined);
    await buildsAfterRestart(config, tip);
  }, 60_000);
});

describe('killed while saving a webhook, before answering it', () => {
  // A webhook is taken once it is saved (webhooks/inbox.ts), and only then may the same bytes be turned
  // away as a copy. Marked as received first, a kill before the save left Data Center without a 202
  // and the webhook nowhere, and the same webhook sent again was answered "received before": for a
  // deletion, which only webhooks report, PanDev never learnt of it.
  it('takes the same webhook sent again after a restart: a deletion, which no poll finds', async () => {
    const config = env.config({ BRIDGE_DB: `${env.dir}/accept.db` });
    const first = await inProcessBridge(config);
    env.sim.actions.createBranch({ repository, name: 'feature/deleted-across-a-kill' });
    await passes(first);
    const [deleted] = env.sim.actions.deleteBranch({ repository, name: 'feature/deleted-across-a-kill' }).events;
    const kill = killAt(first, (key) => key.startsWith('dc:inbox:'));
    expect((await postWebhook(first, deleted!)).status).not.toBe(202);
    expect(kill.killed()).toBe(true);
    await first.stop().catch(() => undefined);

    const second = await inProcessBridge(config);
    try {
      expect((await postWebhook(second, deleted!)).status).toBe(202);
      await webhooksHandled(second);
      await passes(second);
      expect(delivered('repo:refs_changed', (body) => body.changes[0].ref.displayId === 'feature/deleted-across-a-kill' && body.changes[0].type === 'DELETE')).toHaveLength(1);
    } finally {
      await second.stop();
    }
  }, 60_000);
});
