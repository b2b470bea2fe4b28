import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatStatus, readStatus } from '../../src/bridge/cli/status';
import { pollState } from '../../src/bridge/poll/state';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { dcEnv, inProcessBridge, projectRepositories, settledPass, type DcEnv } from './helpers';

// The poll stops reading a repository's pull requests (`order=NEWEST`) at the first one not updated
// since its watermark, which is right only if Data Center sorts that list by last update; the spec
// does not say. Against an instance that sorts by creation (the simulator's `pullRequestsBy`), an old
// pull request changed now sits below older-created ones: the bridge must see that order, say so once,
// and read the whole list from then on, across restarts. Against the default order it costs nothing.

const WARNING = 'this Bitbucket orders pull requests by creation';
const PULLS = 'GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/pull-requests';
const HOUR = 3_600_000;

const warnings = (lines: string[]) => lines.filter((line) => line.includes(WARNING)).map((line) => JSON.parse(line) as Record<string, unknown>);
const eventKeysOf = (env: DcEnv, id: number) => env.sink.deliveries().filter((d) => d.eventKey.startsWith('pr:') && (d.body as any).pullRequest.id === id).map((d) => d.eventKey);

/** Enough passes that a quiet repository reads its pull requests at least once. */
async function passes(running: Awaited<ReturnType<typeof inProcessBridge>>): Promise<void> {
  for (let i = 0; i < 2; i++) await settledPass(running);
}

describe('an instance that lists pull requests by creation', () => {
  // Bitbucket's clock is the test's, in the past of the bridge's, so every change is dated apart.
  const base = Date.now() - 20 * 24 * HOUR;
  let now = base;
  let env: DcEnv;
  let repository: string;
  beforeAll(async () => {
    env = await dcEnv({ seed: 'list-order', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 0, corruptPullRequest: false, pullRequestsBy: 'created', baseTime: base, clock: { now: () => now } });
    const repo = projectRepositories(env.sim)[0]!;
    repository = `${repo.projectKey}/${repo.slug}`;
  });
  afterAll(() => env.stop());

  const open = (title: string, at: number) => {
    now = at;
    return env.sim.actions.openPullRequest({ repository, title }).pullRequestId;
  };
  /** The open pull request created first: the last one listed. */
  const oldestOpen = () => {
    const repo = projectRepositories(env.sim)[0]!;
    return [...repo.summaries()].filter((pr) => pr.state === 'OPEN').sort((a, b) => a.createdAt - b.createdAt)[0]!.id;
  };
  const approveAndMerge = (pullRequestId: number, at: number) => {
    now = at;
    env.sim.actions.approvePullRequest({ repository, pullRequestId });
    now += 60_000;
    env.sim.actions.mergePullRequest({ repository, pullRequestId });
  };

  it('has an old pull request approved and merged found by the next pass, and says once what that costs', async () => {
    // The seeded one (from a fork, two days before `base`) was created first: it is last in the list.
    const oldest = oldestOpen();
    open('First', base + HOUR);
    open('Second', base + 2 * HOUR);
    const lines: string[] = [];
    const running = await inProcessBridge(env.config(), lines);
    try {
      await settledPass(running);
      expect(eventKeysOf(env, oldest)).toContain('pr:opened');
      expect(warnings(lines)).toEqual([]);

      approveAndMerge(oldest, base + 3 * HOUR);
      await passes(running);
      expect(eventKeysOf(env, oldest).filter((key) => key !== 'pr:opened' && key !== 'pr:comment:added')).toEqual(['pr:reviewer:approved', 'pr:merged']);
      await passes(running);
      expect(warnings(lines)).toHaveLength(1);
      expect(warnings(lines)[0]).toMatchObject({ level: 'warn', repository });
      expect(env.sink.duplicates()).toBe(0);
      // `status` says so too, where an operator looks for why the request count went up.
      const status = await readStatus(running.bridge.store);
      expect(status.pullRequestOrder).toEqual({ byCreation: true, repository, seenAt: expect.any(String) });
      expect(formatStatus(status)).toMatch(new RegExp(`pull-request order {2}by creation \\(seen on ${repository} .*every pass reads each repository's whole pull-request list`));
      expect(status.attention).toEqual([]);

      // A page's worth of newer pull requests pushes the first three to the second page, where an
      // idle pass cut short at the first page would never look.
      for (let i = 0; i < 25; i++) open(`Newer ${i}`, base + 4 * HOUR + i * 60_000);
      await passes(running);
    } finally {
      await running.stop();
    }
  });

  it('is still read whole by a bridge restarted on the same state file, which says so once too', async () => {
    // 'First', now on the second page: an idle pass cut short at the first page would not see it.
    const first = oldestOpen();
    const lines: string[] = [];
    const running = await inProcessBridge(env.config(), lines);
    try {
      await passes(running);
      approveAndMerge(first, base + 6 * HOUR);
      await passes(running);
      expect(eventKeysOf(env, first)).toEqual(['pr:opened', 'pr:reviewer:approved', 'pr:merged']);
      expect(warnings(lines)).toHaveLength(1);
      expect(warnings(lines)[0]).toMatchObject({ repository });
      expect(env.sink.duplicates()).toBe(0);
    } finally {
      await running.stop();
    }
  });
});

describe('an instance that lists pull requests by last update (the default)', () => {
  let env: DcEnv;
  afterAll(() => env.stop());

  it('costs one pull-request request per repository on an idle pass, with more than a page of them, and warns of nothing', async () => {
    env = await dcEnv({ seed: 'list-order-default', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 40, corruptPullRequest: false });
    const lines: string[] = [];
    const running = await inProcessBridge(env.config(), lines);
    try {
      // The backfill, then two passes so that the first idle one after it is behind us.
      for (let i = 0; i < 3; i++) await settledPass(running);
      env.sim.resetStats();
      // Quiet repositories read their pull requests every other pass.
      await passes(running);
      expect(env.sim.stats().byRoute[PULLS]).toBe(env.sim.model.repositories.length);
      expect(warnings(lines)).toEqual([]);
      expect((await readStatus(running.bridge.store)).pullRequestOrder).toBeNull();
    } finally {
      await running.stop();
    }
  });
});

describe('an instance seen listing by creation that lists by last update now (upgraded since)', () => {
  let env: DcEnv;
  afterAll(() => env.stop());

  it('forgets the finding at the first answer proving the order by update, and stops early again from the next pass', async () => {
    env = await dcEnv({ seed: 'list-order-upgraded', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 40, corruptPullRequest: false });
    const config = env.config();
    // What an earlier run on the older Bitbucket left in the state file.
    const before = openSqliteStore(config.bridge.db);
    await pollState(before).saveListOrder({ byCreation: true, repository: 'OLD/repo', at: Date.now() - 30 * 24 * HOUR });
    before.close();
    const lines: string[] = [];
    const running = await inProcessBridge(config, lines);
    try {
      await settledPass(running);
      // An old pull request approved now goes to the top, above ones created after it: ids rise down the page.
      const repo = projectRepositories(env.sim)[0]!;
      const oldest = [...repo.summaries()].filter((pr) => pr.state === 'OPEN').sort((a, b) => a.id - b.id)[0]!;
      env.sim.actions.approvePullRequest({ repository: `${repo.projectKey}/${repo.slug}`, pullRequestId: oldest.id });
      await passes(running);
      expect((await readStatus(running.bridge.store)).pullRequestOrder).toBeNull();
      expect(lines.filter((line) => line.includes('lists pull requests by last update again'))).toHaveLength(1);

      await passes(running);
      env.sim.resetStats();
      await passes(running);
      expect(env.sim.stats().byRoute[PULLS]).toBe(env.sim.model.repositories.length);
      expect(warnings(lines)).toHaveLength(1);
    } finally {
      await running.stop();
    }
  });
});

describe('pull requests updated while the poll pages through the list', () => {
  let env: DcEnv;
  afterAll(() => env.stop());

  it('are no sign of another order, though the next page then repeats newer ones the poll read already', async () => {
    env = await dcEnv({ seed: 'list-order-paging', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 40, corruptPullRequest: false });
    const repo = projectRepositories(env.sim)[0]!;
    const repository = `${repo.projectKey}/${repo.slug}`;
    // Two open ones from below the first page: each goes to the top, and the ones above its place move down.
    const below = [...repo.summaries()].sort((a, b) => b.updatedAt - a.updatedAt).slice(25).filter((pr) => pr.state === 'OPEN').slice(0, 2);
    expect(below).toHaveLength(2);
    // Bitbucket as the bridge reaches it, through a loopback hop that makes both changes just before the backfill reads the second page.
    let changed = false;
    const hop = createServer((req, res) => {
      if (!changed && req.url?.includes(`/projects/${repo.projectKey}/repos/${repo.slug}/pull-requests?`) && /[?&]start=25(&|$)/.test(req.url)) {
        changed = true;
        for (const pr of below) env.sim.actions.addComment({ repository, pullRequestId: pr.id, text: 'Changed while the list was paged' });
      }
      fetch(new URL(req.url ?? '/', env.sim.url), { headers: { authorization: req.headers.authorization ?? '' } }).then(async (answer) => {
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(await answer.text());
      }, () => res.destroy());
    });
    await new Promise<void>((resolve) => hop.listen(0, '127.0.0.1', resolve));
    const lines: string[] = [];
    const running = await inProcessBridge(env.config({ BITBUCKET_URL: `http://127.0.0.1:${(hop.address() as AddressInfo).port}` }), lines);
    try {
      await settledPass(running);
      expect(changed).toBe(true);
      await passes(running);
      for (const pr of below) expect(eventKeysOf(env, pr.id).filter((key) => key === 'pr:comment:added').length).toBeGreaterThanOrEqual(1);
      expect(warnings(lines)).toEqual([]);
      env.sim.resetStats();
      await passes(running);
      expect(env.sim.stats().byRoute[PULLS]).toBe(env.sim.model.repositories.length);
    } finally {
      await running.stop();
      await new Promise((resolve) => hop.close(resolve));
    }
  });
});
