import { startBridge } from '../../src/bridge/runner';
import { signature } from '../../src/sandbox/dc-sim';
import { dcEnv, projectRepositories, quietLogger, until, WEBHOOK_SECRET, type DcEnv } from './helpers';

// A saved webhook whose Bitbucket reads keep failing is tried after every pass for a day, then given
// up: the operator sees it in the log, the webhooks saved behind it go on, and the poll delivers what
// it carried once Bitbucket answers, once, under the poll's id.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'give-up', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false })));
afterAll(() => env.stop());

it('gives a webhook up after a day of failures, handles the ones behind it, and the poll sends its push once', async () => {
  let shift = 0;
  const lines: string[] = [];
  const running = await startBridge(env.config(), { manual: true, log: quietLogger(lines), timeScale: 1, clock: { now: () => Date.now() + shift } });
  const pass = async () => {
    await running.runPass();
    await running.bridge.queue.idle();
  };
  try {
    await pass();
    const repo = projectRepositories(env.sim)[0]!;
    const repository = `${repo.projectKey}/${repo.slug}`;
    const pushes = () => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).repository.id === repo.id);
    const before = pushes().length;

    // Bitbucket fails every commit read: the push's webhook cannot be handled, nor the poll's read of it.
    env.sim.faults.add({ path: '/commits$', status: 500 });
    const pushed = env.sim.actions.pushCommits({ repository, commits: 1 });
    expect((await signedPost(running.ops.url, pushed.events[0]!.eventKey, pushed.events[0]!.body)).status).toBe(202);
    // A deletion (no poll finds it) waits behind it, in order.
    env.sim.actions.createBranch({ repository, name: 'gone-soon' });
    const deleted = env.sim.actions.deleteBranch({ repository, name: 'gone-soon' }).events[0]!;
    expect((await signedPost(running.ops.url, deleted.eventKey, deleted.body)).status).toBe(202);
    await pass();
    await until(() => lines.some((line) => line.includes('a saved webhook could not be handled; it is tried again after the next pass')), 30_000, 'the failed try');
    expect(running.bridge.store.count('dc:inbox:')).toBe(2);

    // A day later Bitbucket still fails: the push's webhook is given up, the deletion behind it is sent.
    shift = 25 * 3600_000;
    await pass();
    await until(() => running.bridge.store.count('dc:inbox:') === 0, 30_000, 'the saved webhooks handled');
    await running.bridge.queue.idle();
    expect(lines.some((line) => line.includes('"level":"error"') && line.includes('a saved webhook failed for a day and is given up'))).toBe(true);
    const deletions = pushes().filter((d) => (d.body as any).changes[0].type === 'DELETE' && (d.body as any).changes[0].ref.displayId === 'gone-soon');
    expect(deletions.map((d) => d.headers['x-pandev-origin'])).toEqual(['webhook']);

    // Bitbucket recovers: the poll finds the push, and it reaches PanDev once.
    env.sim.faults.clear();
    await pass();
    await pass();
    const mine = pushes().slice(before).filter((d) => (d.body as any).changes[0].toHash === pushed.commits[0]);
    expect(mine.map((d) => d.headers['x-pandev-origin'])).toEqual(['poll']);
    expect(env.sink.duplicates()).toBe(0);
  } finally {
    env.sim.faults.clear();
    await running.stop();
  }
});

it('does not hold up the webhooks behind one whose repository is gone under its name (renamed since): its branch moves are left to the poll', async () => {
  const lines: string[] = [];
  const running = await startBridge(env.config({ BRIDGE_DB: `${env.dir}/renamed.db` }), { manual: true, log: quietLogger(lines), timeScale: 1 });
  const pass = async () => {
    await running.runPass();
    await running.bridge.queue.idle();
  };
  try {
    await pass();
    // A fresh state file over the same receiver: its backfill re-sent what the test above delivered.
    const duplicates = env.sink.duplicates();
    const repo = projectRepositories(env.sim)[0]!;
    const pushes = () => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).repository.id === repo.id);
    const before = pushes().length;
    // The push's webhook is handled after the rename (it waited behind a long poll, or the bridge was down).
    const pushed = env.sim.actions.pushCommits({ repository: `${repo.projectKey}/${repo.slug}`, commits: 1 });
    const { slug } = env.sim.actions.updateRepository({ repository: `${repo.projectKey}/${repo.slug}`, name: 'Renamed Service' });
    expect((await signedPost(running.ops.url, pushed.events[0]!.eventKey, pushed.events[0]!.body)).status).toBe(202);
    env.sim.actions.createBranch({ repository: `${repo.projectKey}/${slug}`, name: 'after-rename' });
    const deleted = env.sim.actions.deleteBranch({ repository: `${repo.projectKey}/${slug}`, name: 'after-rename' }).events[0]!;
    expect((await signedPost(running.ops.url, deleted.eventKey, deleted.body)).status).toBe(202);

    await until(() => running.bridge.store.count('dc:inbox:') === 0, 30_000, 'the saved webhooks handled');
    await running.bridge.queue.idle();
    const deletions = pushes().filter((d) => (d.body as any).changes[0].type === 'DELETE' && (d.body as any).changes[0].ref.displayId === 'after-rename');
    expect(deletions).toHaveLength(1);
    expect(lines.some((line) => line.includes('names a repository Bitbucket no longer has under that name'))).toBe(true);

    // The poll finds the repository under its new name, and the push with it, once.
    for (let i = 0; i < 3; i++) await pass();
    expect(pushes().slice(before).filter((d) => (d.body as any).changes[0].toHash === pushed.commits[0]).map((d) => d.headers['x-pandev-origin'])).toEqual(['poll']);
    expect(env.sink.duplicates()).toBe(duplicates);
  } finally {
    await running.stop();
  }
});

it('counts the day from the first try, not from arrival: a webhook saved before a two-day outage is kept when that try fails', async () => {
  const db = `${env.dir}/outage.db`;
  const lines: string[] = [];
  const first = await startBridge(env.config({ BRIDGE_DB: db }), { manual: true, log: quietLogger(lines), timeScale: 1 });
  const repo = projectRepositories(env.sim)[0]!;
  const repository = `${repo.projectKey}/${repo.slug}`;
  let pushed: ReturnType<typeof env.sim.actions.pushCommits>;
  try {
    await first.runPass();
    await first.bridge.queue.idle();
    // A slow read holds the repository's lock while the webhook comes; then the bridge stops.
    const slow = env.sim.faults.add({ path: `/repos/${repo.slug}/(pull-requests|branches|tags)$`, latencyMs: 5000 });
    const faulted = env.sim.stats().faulted;
    const passing = first.runPass();
    await until(() => env.sim.stats().faulted > faulted, 30_000, 'the slow read');
    pushed = env.sim.actions.pushCommits({ repository, commits: 1 });
    expect((await signedPost(first.ops.url, pushed.events[0]!.eventKey, pushed.events[0]!.body)).status).toBe(202);
    await first.stop();
    await passing;
    env.sim.faults.remove(slow);
    expect(lines.some((line) => line.includes('a saved webhook'))).toBe(false);
  } finally {
    await first.stop();
  }

  // Two days later the bridge starts again, and Bitbucket fails its first try for a passing reason.
  const failing = env.sim.faults.add({ path: '/commits$', status: 500 });
  const second = await startBridge(env.config({ BRIDGE_DB: db }), { manual: true, log: quietLogger(lines), timeScale: 1, clock: { now: () => Date.now() + 2 * 24 * 3600_000 } });
  try {
    await until(() => lines.some((line) => line.includes('a saved webhook')), 30_000, 'the first try');
    expect(lines.filter((line) => line.includes('a saved webhook')).map((line) => JSON.parse(line).msg)).toEqual(['a saved webhook could not be handled; it is tried again after the next pass']);
    expect(second.bridge.store.count('dc:inbox:')).toBe(1);

    env.sim.faults.remove(failing);
    await second.runPass();
    await until(() => second.bridge.store.count('dc:inbox:') === 0, 30_000, 'the saved webhook handled');
    await second.bridge.queue.idle();
    const mine = env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].toHash === pushed.commits[0]);
    expect(mine).toHaveLength(1);
    expect(lines.some((line) => line.includes('is given up'))).toBe(false);
  } finally {
    env.sim.faults.clear();
    await second.stop();
  }
});

function signedPost(base: string, eventKey: string, payload: unknown): Promise<Response> {
  const body = JSON.stringify(payload);
  return fetch(`${base}/webhooks/bitbucket`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Event-Key': eventKey, 'X-Hub-Signature': signature(WEBHOOK_SECRET, body) }, body });
}
