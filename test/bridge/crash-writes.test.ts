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

/** The bridge's state refuses every write from the first one to a key `at` matches: the process died there. */
function killAt(running: Running, at: (key: string) => boolean): { killed: () => boolean } {
  const store = running.bridge.store;
  const { set, delete: remove } = store;
  let killed = false;
  const dead = () => Promise.reject(new Error('the bridge was killed'));
  store.set = (key, value, options) => {
    if (!killed && at(key)) killed = true;
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
