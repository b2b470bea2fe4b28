import { node } from '../../src/sandbox/dc-sim/model/commits';
import { defaultTip } from '../../src/sandbox/dc-sim/model/refs';
import { loadSpecOrSkip, specValidator } from '../sandbox/dc-sim/spec';
import { dcEnv, type DcEnv, inProcessBridge, projectRepositories, settledPass, WEBHOOK_SECRET } from './helpers';

// Issue 6, items 3 and 9: what an idle pass costs, and that the cheaper schedule still delivers every
// change. A quiet repository reads one feed per pass (pull requests and branches in turn, tags every
// tenth pass); a change makes its repository read in full; every branch that moved between two reads
// is found, however many; build statuses of watched tips come from one counts request per pass.

const REPO = 'GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}';
const ROUTES = {
  pulls: `${REPO}/pull-requests`,
  branches: `${REPO}/branches`,
  tags: `${REPO}/tags`,
  activities: `${REPO}/pull-requests/{pullRequestId}/activities`,
  buildStats: 'POST /rest/build-status/1.0/commits/stats',
  buildStatuses: 'GET /rest/build-status/1.0/commits/{commitId}',
};

let env: DcEnv;
let running: Awaited<ReturnType<typeof inProcessBridge>>;
beforeAll(async () => {
  env = await dcEnv({ seed: 'schedule', projects: 1, repositoriesPerProject: 3, pullRequestsPerRepository: 5, corruptPullRequest: false });
  running = await inProcessBridge(env.config());
  await running.runPass();
  await running.bridge.queue.idle();
});
afterAll(async () => {
  await running.stop();
  await env.stop();
});

const pass = () => settledPass(running);

const byRoute = () => env.sim.stats().byRoute;
const repositories = () => env.sim.model.repositories.length;
const name = (index: number) => {
  const repo = projectRepositories(env.sim)[index]!;
  return { ref: `${repo.projectKey}/${repo.slug}`, id: repo.id, defaultBranch: repo.defaultBranch };
};

/** Passes until `done()` holds; answers how many it took (at most `max`). */
async function passesUntil(done: () => boolean, max: number): Promise<number> {
  for (let n = 1; n <= max; n++) {
    await pass();
    if (done()) return n;
  }
  throw new Error(`not done after ${max} passes`);
}

describe('an idle pass', () => {
  it('reads one feed per repository: the pull requests and the branches in turn, the tags every tenth pass', async () => {
    // Two passes first, so that the first idle pass after the backfill is behind us whatever it found.
    await pass();
    await pass();
    const delivered = env.sink.deliveries().length;
    env.sim.resetStats();
    for (let i = 0; i < 10; i++) await pass();
    const routes = byRoute();
    const r = repositories();
    const feeds = (routes[ROUTES.pulls] ?? 0) + (routes[ROUTES.branches] ?? 0) + (routes[ROUTES.tags] ?? 0);
    expect(feeds).toBe(10 * r);
    expect(routes[ROUTES.pulls]).toBeGreaterThanOrEqual(4 * r);
    expect(routes[ROUTES.branches]).toBeGreaterThanOrEqual(4 * r);
    expect(routes[ROUTES.tags]).toBe(r);
    // Tips pushed in the simulated last two hours are watched: one counts request a pass for all of
    // them, and no commit's statuses are read while its counts stay the same.
    expect(routes[ROUTES.buildStats] ?? 0).toBeLessThanOrEqual(10);
    expect(routes[ROUTES.buildStatuses] ?? 0).toBe(0);
    const other = Object.entries(routes).filter(([route]) => !Object.values(ROUTES).includes(route));
    expect(other).toEqual([]);
    expect(env.sink.deliveries().length).toBe(delivered);
  });
});

describe('changes in quiet repositories', () => {
  it('arrive within two passes, and their repository is read in full on the next pass', async () => {
    const a = name(0);
    const { commits } = env.sim.actions.pushCommits({ repository: a.ref, commits: 2 });
    const pushed = () => env.sink.deliveries().some((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].toHash === commits.at(-1));
    expect(await passesUntil(pushed, 2)).toBeLessThanOrEqual(2);
    const push = env.sink.deliveries().find((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].toHash === commits.at(-1))!.body as any;
    expect(push.pandev.commits.map((c: { id: string }) => c.id)).toEqual([...commits].reverse());
    // Found something: both feeds of that repository on the next pass, one of every other.
    env.sim.resetStats();
    await pass();
    expect((byRoute()[ROUTES.pulls] ?? 0) + (byRoute()[ROUTES.branches] ?? 0) + (byRoute()[ROUTES.tags] ?? 0)).toBe(repositories() + 1);

    const b = name(1);
    const open = env.sim.model.repositories.find((repo) => repo.id === b.id)!.summaries();
    const target = [...open].find((pr) => pr.state === 'OPEN') ?? [...open][0]!;
    const { commentId } = env.sim.actions.addComment({ repository: b.ref, pullRequestId: target.id, text: 'Seen by the poll' });
    const commented = () => env.sink.deliveries().some((d) => d.eventKey === 'pr:comment:added' && (d.body as any).comment?.id === commentId);
    expect(await passesUntil(commented, 2)).toBeLessThanOrEqual(2);
    expect(env.sink.duplicates()).toBe(0);
  });

  it('finds every branch that moved since the last read, however many, each with only its own commits', async () => {
    const c = name(2);
    const tips = new Map<string, string>();
    for (let i = 0; i < 30; i++) {
      const branch = `feature/many-${String(i).padStart(2, '0')}`;
      env.sim.actions.createBranch({ repository: c.ref, name: branch });
      tips.set(branch, env.sim.actions.pushCommits({ repository: c.ref, branch, commits: 1 }).commits[0]!);
    }
    const pushes = () => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).repository.id === c.id).map((d) => d.body as any);
    const found = () => [...tips].every(([branch, tip]) => pushes().some((p) => p.changes[0].ref.displayId === branch && p.changes[0].toHash === tip));
    expect(await passesUntil(found, 2)).toBeLessThanOrEqual(2);
    for (const [branch, tip] of tips) {
      const push = pushes().find((p) => p.changes[0].ref.displayId === branch && p.changes[0].toHash === tip);
      // A new branch is what it adds to the default branch: here one commit.
      expect({ branch, commits: push.pandev.commits.map((x: { id: string }) => x.id) }).toEqual({ branch, commits: [tip] });
    }
    expect(env.sink.duplicates()).toBe(0);
  });

  it('finds a branch moved to an older commit, which sorts below the known tips, by comparing every tip with the tags', async () => {
    const c = name(2);
    const repo = env.sim.model.repositories.find((r) => r.id === c.id)!;
    const tip = defaultTip(env.sim.model, repo);
    let old = tip;
    for (let i = 0; i < 5; i++) old = node(env.sim.model, repo, old)!.parents[0]!;
    // More than a page of branches with newer tips (the test above made 30 already).
    for (let i = repo.branches.size; i <= 26; i++) {
      env.sim.actions.createBranch({ repository: c.ref, name: `feature/newer-${i}` });
      env.sim.actions.pushCommits({ repository: c.ref, branch: `feature/newer-${i}`, commits: 1 });
    }
    const pushesOf = (branch: string) => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].ref.displayId === branch).map((d) => (d.body as any).changes[0].toHash);
    env.sim.actions.createBranch({ repository: c.ref, name: 'release/old', from: old });
    await passesUntil(() => pushesOf('release/old').includes(old), 12);
    // A fast-forward to an existing, older-dated commit (as `git push origin <sha>:release/old`).
    env.sim.actions.deleteBranch({ repository: c.ref, name: 'release/old' });
    env.sim.actions.createBranch({ repository: c.ref, name: 'release/old', from: tip });
    await passesUntil(() => pushesOf('release/old').includes(tip), 12);
    expect(env.sink.duplicates()).toBe(0);
  });
});

describe('build statuses', () => {
  it('of a pushed tip are found from one counts request per pass, and each state is delivered once', async () => {
    const a = name(0);
    const tip = env.sim.actions.pushCommits({ repository: a.ref, commits: 1 }).commits[0]!;
    const pushed = () => env.sink.deliveries().some((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].toHash === tip);
    await passesUntil(pushed, 2);
    const statuses = () => env.sink.deliveries().filter((d) => d.eventKey === 'pandev:build_status' && (d.body as any).pandev?.entity?.includes(tip)).map((d) => d.body as any);

    env.sim.actions.setBuildStatus({ repository: a.ref, commit: tip, key: 'CI', state: 'INPROGRESS' });
    env.sim.resetStats();
    await pass();
    expect(byRoute()[ROUTES.buildStats]).toBe(1);
    expect(byRoute()[ROUTES.buildStatuses]).toBe(1);
    expect(statuses()).toHaveLength(1);

    // Nothing new: the counts say so, and no statuses are read.
    env.sim.resetStats();
    await pass();
    expect(byRoute()[ROUTES.buildStats]).toBe(1);
    expect(byRoute()[ROUTES.buildStatuses] ?? 0).toBe(0);

    env.sim.actions.setBuildStatus({ repository: a.ref, commit: tip, key: 'CI', state: 'SUCCESSFUL' });
    await pass();
    await pass();
    expect(statuses()).toHaveLength(2);
    expect(env.sink.duplicates()).toBe(0);
  });

  it('of more than ten tips moved in one repository are all delivered', async () => {
    const c = name(2);
    const tips: string[] = [];
    for (let i = 0; i < 12; i++) {
      env.sim.actions.createBranch({ repository: c.ref, name: `ci/b-${i}` });
      tips.push(env.sim.actions.pushCommits({ repository: c.ref, branch: `ci/b-${i}`, commits: 1 }).commits[0]!);
    }
    const pushed = () => tips.every((tip) => env.sink.deliveries().some((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].toHash === tip));
    await passesUntil(pushed, 2);
    // CI reports on every tip a few minutes later.
    for (const tip of tips) env.sim.actions.setBuildStatus({ repository: c.ref, commit: tip, key: 'CI', state: 'SUCCESSFUL' });
    await pass();
    const reported = tips.filter((tip) => env.sink.deliveries().some((d) => d.eventKey === 'pandev:build_status' && (d.body as any).pandev?.entity?.includes(tip)));
    expect(reported).toEqual(tips);
  });

  it('of a push that came by webhook are watched as well', async () => {
    const hook = env.sim.webhooks.register(`${running.ops.url}/webhooks/bitbucket`, WEBHOOK_SECRET);
    try {
      const b = name(1);
      const tip = env.sim.actions.pushCommits({ repository: b.ref, commits: 1 }).commits[0]!;
      await env.sim.webhooks.idle();
      await settle();
      expect(env.sink.deliveries().some((d) => d.eventKey === 'repo:refs_changed' && d.headers['x-pandev-origin'] === 'webhook' && (d.body as any).changes[0].toHash === tip)).toBe(true);
      env.sim.actions.setBuildStatus({ repository: b.ref, commit: tip, key: 'CI', state: 'FAILED' });
      await pass();
      expect(env.sink.deliveries().some((d) => d.eventKey === 'pandev:build_status' && (d.body as any).pandev?.entity?.includes(tip))).toBe(true);
    } finally {
      env.sim.webhooks.remove(hook);
    }
  });

  const spec = loadSpecOrSkip();
  (spec ? it : it.skip)('counts answered by the simulator match the spec (POST /build-status/latest/commits/stats)', async () => {
    const validator = specValidator(spec!, '9.x');
    expect(spec!.paths['/build-status/latest/commits/stats']?.post).toBeDefined();
    const watched = (await running.bridge.store.list<{ commits: Array<{ id: string }> }>('dc:builds:')).entries.flatMap((e) => e.value.commits.map((c) => c.id));
    const response = await fetch(`${env.sim.url}/rest/build-status/1.0/commits/stats`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${env.sim.credentials.admin.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify([...watched, '0'.repeat(40)]),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).length).toBeGreaterThan(0);
    expect(body['0'.repeat(40)]).toBeUndefined();
    const properties = Object.keys(spec!.components.schemas.RestBuildStats.properties).sort();
    for (const value of Object.values(body)) {
      expect(validator.validate('RestBuildStats', value)).toEqual([]);
      expect(Object.keys(value as object).sort()).toEqual(properties);
    }
  });
});

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    await running.bridge.queue.idle();
  }
}

