import { runBackfill } from '../../src/bridge/backfill';
import { readStatus } from '../../src/bridge/cli/status';
import { verify } from '../../src/core/deliver/sign';
import { dcEnv, projectRepositories, deliveredPullRequestEvents, expectedPullRequestEvents, inProcessBridge, PANDEV, quietLogger, sorted, type DcEnv } from './helpers';

// Issue 6, items 3, 5, 6 and 8: a 30-day backfill of a simulated Data Center instance arrives complete
// at the receiver, signed and native; the corrupt pull request is reported and skipped while the rest
// goes on; a second pass sends nothing again; a 429 storm slows the bridge down but completes.

describe('Data Center backfill', () => {
  let env: DcEnv;
  beforeAll(async () => (env = await dcEnv({ seed: 'backfill', pullRequestsPerRepository: 10 })));
  afterAll(() => env.stop());

  it('delivers every event of the window once, skips and reports the corrupt pull request, and then idles', async () => {
    const lines: string[] = [];
    const running = await inProcessBridge(env.config(), lines);
    try {
      const pass = await running.runPass();
      await running.bridge.queue.idle();
      expect(pass).toMatchObject({ repositories: env.sim.model.repositories.length, failed: 0, skipped: 1 });

      expect(sorted(deliveredPullRequestEvents(env.sink))).toEqual(sorted(expectedPullRequestEvents(env.sim)));
      const deliveries = env.sink.deliveries();
      for (const d of deliveries) {
        expect(verify(PANDEV.secret, d.raw, d.headers['x-hub-signature'])).toBe(true);
        expect(d.headers).toMatchObject({ 'x-pandev-edition': 'datacenter', 'x-pandev-origin': 'backfill', 'x-event-key': d.eventKey });
        expect(d.body).toMatchObject({ eventKey: d.eventKey, date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/) });
      }
      // Every repository's default branch arrives as a push with its commits and their changed files.
      const pushes = deliveries.filter((d) => d.eventKey === 'repo:refs_changed').map((d) => d.body as any);
      for (const repo of projectRepositories(env.sim)) {
        const main = pushes.find((p) => p.repository.id === repo.id && p.changes[0].ref.displayId === repo.defaultBranch);
        expect(main?.pandev.commits.length).toBeGreaterThan(0);
        expect(main.pandev.commits[0].files.length).toBeGreaterThan(0);
        expect(main.commits[0].id).toBe(main.changes[0].toHash);
      }
      expect(deliveries.some((d) => d.eventKey === 'pandev:build_status')).toBe(true);

      // The corrupt pull request: skipped with its reason, in the log and in `status`, kept for retry.
      const corrupt = env.sim.corrupt!;
      const status = await readStatus(running.bridge.store);
      const skipped = status.repositories.flatMap((r) => r.skipped);
      expect(skipped).toEqual([expect.objectContaining({ pullRequest: corrupt.pullRequestId, reason: expect.stringContaining('500') })]);
      expect(lines.some((line) => line.includes('pull request skipped') && line.includes(`"pullRequest":${corrupt.pullRequestId}`))).toBe(true);
      expect(deliveries.some((d) => (d.body as any).pullRequest?.id === corrupt.pullRequestId && (d.body as any).pullRequest.toRef.repository.slug === corrupt.repositorySlug)).toBe(false);

      // A second pass finds nothing new, retries the corrupt pull request, and sends nothing twice.
      env.sim.resetStats();
      const again = await running.runPass();
      await running.bridge.queue.idle();
      expect(again).toMatchObject({ staged: 0, skipped: 1 });
      expect(env.sink.duplicates()).toBe(0);
      expect(env.sink.deliveries()).toHaveLength(deliveries.length);
      expect(env.sim.stats().byRoute).toMatchObject({ 'GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}': 1 });
      const metrics = await running.bridge.metrics.registry.metrics();
      expect(metrics).toMatch(new RegExp(`pandev_bridge_deliveries_total\\{outcome="delivered"\\} ${deliveries.length}`));
      expect(metrics).toContain('pandev_bridge_outbox_depth 0');
      expect(metrics).toMatch(/pandev_bridge_last_successful_poll_timestamp_seconds\{repository="[A-Z]+\/[\w-]+"\} \d+/);
    } finally {
      await running.stop();
    }
  });
});

describe('a 429 storm', () => {
  let env: DcEnv;
  beforeAll(async () => (env = await dcEnv({ seed: 'storm', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 5, corruptPullRequest: false, rateLimit: { capacity: 3, refillPerSecond: 30 } })));
  afterAll(() => env.stop());

  it('completes: the bridge waits as told and every event still arrives', async () => {
    // Ten times what the instance allows, as a misconfigured or shared token would.
    const running = await inProcessBridge(env.config({ BITBUCKET_REQUESTS_PER_SECOND: '300' }));
    try {
      const pass = await running.runPass();
      await running.bridge.queue.idle();
      expect(pass.failed).toBe(0);
      expect(env.sim.stats().rateLimited).toBeGreaterThan(2);
      expect(sorted(deliveredPullRequestEvents(env.sink))).toEqual(sorted(expectedPullRequestEvents(env.sim)));
      expect(await running.bridge.metrics.registry.metrics()).toMatch(/pandev_bridge_bitbucket_rate_limited_total [1-9]\d*/);
    } finally {
      await running.stop();
    }
  });
});

describe('backfill --days', () => {
  let env: DcEnv;
  beforeAll(async () => (env = await dcEnv({ seed: 'widen', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 12, corruptPullRequest: false })));
  afterAll(() => env.stop());

  it('reads a wider window again, whatever a quiet pass would have read next', async () => {
    const narrow = env.config({ BRIDGE_BACKFILL_DAYS: '5' });
    await runBackfill(narrow, { waitSeconds: 30 });
    // An idle pass: the next quiet pass would read the branches, not the pull requests.
    await runBackfill(narrow, { waitSeconds: 30 });
    const before = [...deliveredPullRequestEvents(env.sink).values()].reduce((a, b) => a + b, 0);
    const all = expectedPullRequestEvents(env.sim);
    expect(before).toBeLessThan([...all.values()].reduce((a, b) => a + b, 0));
    const widened = await runBackfill(narrow, { days: 30, waitSeconds: 30 });
    expect(widened).toMatchObject({ pending: 0, dead: 0 });
    expect(sorted(deliveredPullRequestEvents(env.sink))).toEqual(sorted(all));
    expect(env.sink.duplicates()).toBe(0);
  });
});

// A wider window reads every pull request's activities again, but what the poll remembers of each one (its
// title, description and target, its same-second counts) is what tells it of an edit, which Data Center
// records no activity for: an edit made after the last pass must still be found by the re-read. The
// simulator's clock stands still (10.x dates, to the second), so every change here shares one second.
describe('backfill --days, a pull request edited since the last pass', () => {
  const second = Math.floor(Date.now() / 1000) * 1000;
  let env: DcEnv;
  let repository: string;
  beforeAll(async () => {
    env = await dcEnv({ seed: 'widen-memory', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false, dateFormat: '10.x', baseTime: second - 60_000, clock: { now: () => second } });
    const repo = projectRepositories(env.sim)[0]!;
    repository = `${repo.projectKey}/${repo.slug}`;
  });
  afterAll(() => env.stop());

  const narrow = () => env.config({ BRIDGE_BACKFILL_DAYS: '5' });
  const delivered = (id: number, eventKey: string) => env.sink.deliveries().filter((d) => d.eventKey === eventKey && (d.body as any).pullRequest.id === id).map((d) => d.body as any);
  // A quiet repository's pass reads one feed in turn: three passes read its pull requests at least once.
  const passes = async () => {
    for (let i = 0; i < 3; i++) await runBackfill(narrow(), { waitSeconds: 30, log: quietLogger() });
  };
  const widen = () => runBackfill(narrow(), { days: 30, waitSeconds: 30, log: quietLogger() });

  it('has the edit reported by the re-read, against the title the last pass saw', async () => {
    const a = env.sim.actions;
    const { pullRequestId: id } = a.openPullRequest({ repository, title: 'Before the widening' });
    await passes();
    a.updatePullRequest({ repository, pullRequestId: id, title: 'Renamed before the widening' });
    expect(await widen()).toMatchObject({ pending: 0, dead: 0 });
    expect(delivered(id, 'pr:modified').map((body) => [body.previousTitle, body.pullRequest.title])).toEqual([['Before the widening', 'Renamed before the widening']]);
    await passes();
    expect(delivered(id, 'pr:modified')).toHaveLength(1);
    expect(env.sink.duplicates()).toBe(0);
  });

  it('counts on in the second: a second edit is a pr:modified of its own, and a review read again is not a second one', async () => {
    const a = env.sim.actions;
    const { pullRequestId: id } = a.openPullRequest({ repository, title: 'Edited twice in a second' });
    a.approvePullRequest({ repository, pullRequestId: id });
    await passes();
    a.updatePullRequest({ repository, pullRequestId: id, title: 'First rename' });
    await passes();
    a.updatePullRequest({ repository, pullRequestId: id, title: 'Second rename' });
    await widen();
    await passes();
    expect(delivered(id, 'pr:modified').map((body) => body.pullRequest.title)).toEqual(['First rename', 'Second rename']);
    expect(delivered(id, 'pr:reviewer:approved')).toHaveLength(1);
    expect(env.sink.duplicates()).toBe(0);
  });
});
