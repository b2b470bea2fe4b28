import path from 'node:path';
import { formatStatus, readStatus, StatusReport } from '../../src/bridge/cli/status';
import { startBridge } from '../../src/bridge/runner';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { runCli } from '../helpers/cli';
import { cloudConfig, cloudEnv, dcEnv, inProcessBridge, projectRepositories, quietLogger, settledPass, stuckClock, until, virtualClock, type DcEnv } from './helpers';

// An operator who starts the bridge on a large instance faces a first pass (the backfill of
// BRIDGE_BACKFILL_DAYS) of hours: `status` says how many repositories it has done of how many, what
// it has read, and about how long is left; on Cloud, when the hour's request budget is what it waits
// on. A backfill under way needs no attention (exit 0); once done, `status` says when it finished.

async function status(db: string): Promise<{ code: number | null; report: StatusReport; text: string }> {
  const json = runCli(['status', '--json'], { BRIDGE_DB: db });
  const code = await json.exited();
  const text = runCli(['status'], { BRIDGE_DB: db });
  await text.exited();
  return { code, report: StatusReport.parse(JSON.parse(json.output())), text: text.output() };
}

async function untilAsync(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('Data Center: a first pass under way, then done', () => {
  let env: DcEnv;
  beforeAll(async () => (env = await dcEnv({ seed: 'status-backfill', projects: 1, repositoriesPerProject: 3, pullRequestsPerRepository: 3, corruptPullRequest: false })));
  afterAll(() => env.stop());

  it('shows repositories done of those selected, pull requests read and the time left, then when it finished', async () => {
    const db = path.join(env.dir, 'progress.db');
    const [slow] = projectRepositories(env.sim);
    // One repository answers only after the test is over: the others' first passes complete meanwhile.
    const fault = env.sim.faults.add({ path: `^/rest/api/1\\.0/projects/${slow!.projectKey}/repos/${slow!.slug}/`, latencyMs: 120_000 });
    const running = await inProcessBridge(env.config({ BRIDGE_DB: db }));
    let during: Awaited<ReturnType<typeof status>>;
    try {
      const pass = running.runPass();
      const others = projectRepositories(env.sim).length - 1;
      await until(() => running.bridge.store.count('dc:repo:') >= others, 30_000, 'every other repository\'s first pass');
      during = await status(db);
      await running.stop();
      await pass;
    } finally {
      env.sim.faults.remove(fault);
      await running.stop();
    }
    const { backfill } = during.report;
    expect(during.code).toBe(0);
    expect(during.report.attention).toEqual([]);
    expect(backfill).toMatchObject({ state: 'running', repositoriesDone: backfill.repositories - 1, finishedAt: null, budgetWaitUntil: null });
    expect(backfill.repositories).toBeGreaterThanOrEqual(3);
    expect(backfill.pullRequests).toBeGreaterThan(0);
    expect(backfill.requests).toBeGreaterThan(0);
    expect(backfill.startedAt).not.toBeNull();
    expect(backfill.etaSeconds).toBeGreaterThanOrEqual(0);
    expect(during.text).toMatch(new RegExp(`backfill +${backfill.repositories - 1} of ${backfill.repositories} repositories done, ${backfill.pullRequests} pull requests read since ${backfill.startedAt}; (about .+|under 1 min) left`));

    // Started again, the slow repository is read: the backfill is done, and says when.
    const again = await inProcessBridge(env.config({ BRIDGE_DB: db }));
    try {
      await settledPass(again);
    } finally {
      await again.stop();
    }
    const after = await status(db);
    expect(after.code).toBe(0);
    expect(after.report.backfill).toMatchObject({ state: 'done', repositoriesDone: backfill.repositories, repositories: backfill.repositories, startedAt: backfill.startedAt, etaSeconds: null });
    expect(Date.parse(after.report.backfill.finishedAt!)).toBeGreaterThan(Date.parse(backfill.startedAt!));
    expect(after.text).toContain(`backfill    done ${after.report.backfill.finishedAt}: the first pass over ${backfill.repositories} repositories is complete`);
  }, 120_000);

  it('`backfill --days 60` after the first pass: its re-read shows as a backfill of its own, running, stopped part-way, then resumed and done', async () => {
    const db = path.join(env.dir, 'reread.db');
    const cliEnv = { ...env.env, BRIDGE_DB: db, BRIDGE_LOG_LEVEL: 'warn' };
    const yaml = env.yaml();
    expect(await runCli(['backfill', '--config', yaml], cliEnv).exited()).toBe(0);
    const { repositories } = (await status(db)).report.backfill;
    const [slow] = projectRepositories(env.sim);
    // One repository's pull requests answer only after the test is over: the others are read again meanwhile.
    const fault = env.sim.faults.add({ path: `^/rest/api/1\\.0/projects/${slow!.projectKey}/repos/${slow!.slug}/pull-requests`, latencyMs: 120_000 });
    let during: Awaited<ReturnType<typeof status>>;
    let stopped: Awaited<ReturnType<typeof status>>;
    try {
      const wider = runCli(['backfill', '--days', '60', '--config', yaml], cliEnv);
      await untilAsync(async () => {
        const store = openSqliteStore(db);
        try {
          return (await readStatus(store)).backfill.reread?.repositoriesDone === repositories - 1;
        } finally {
          store.close();
        }
      }, 60_000, 'every other repository read again');
      during = await status(db);
      wider.kill('SIGTERM');
      expect(await wider.exited()).toBe(3);
      stopped = await status(db);
    } finally {
      env.sim.faults.remove(fault);
    }
    // The first pass stays done; the re-read is the one under way.
    expect(during.code).toBe(0);
    expect(during.report.backfill).toMatchObject({ state: 'done', repositories });
    const reread = during.report.backfill.reread!;
    expect(reread).toMatchObject({ state: 'running', days: 60, repositoriesDone: repositories - 1, repositories, finishedAt: null, endedAt: null });
    expect(Date.parse(reread.startedAt)).toBeGreaterThan(Date.parse(during.report.backfill.finishedAt!));
    expect(during.text).toContain(`re-read     the last 60 days (backfill --days 60): ${repositories - 1} of ${repositories} repositories done since ${reread.startedAt}`);

    expect(stopped.report.backfill.reread).toMatchObject({ state: 'unfinished', days: 60, repositoriesDone: repositories - 1, startedAt: reread.startedAt, finishedAt: null });
    const endedAt = stopped.report.backfill.reread!.endedAt!;
    expect(Date.parse(endedAt)).toBeGreaterThanOrEqual(Date.parse(reread.startedAt));
    expect(stopped.text).toContain(`unfinished, ${repositories - 1} of ${repositories} repositories done since ${reread.startedAt}; the backfill ended ${endedAt} before it was done. Run \`pandev-bitbucket backfill --days 60\` again and it resumes where it stopped`);

    // Run again, it resumes the same re-read (same start), and finishes it.
    expect(await runCli(['backfill', '--days', '60', '--config', yaml], cliEnv).exited()).toBe(0);
    const after = await status(db);
    expect(after.code).toBe(0);
    const done = after.report.backfill.reread!;
    expect(done).toMatchObject({ state: 'done', days: 60, repositoriesDone: repositories, repositories, startedAt: reread.startedAt, endedAt: null });
    expect(Date.parse(done.finishedAt!)).toBeGreaterThan(Date.parse(endedAt));
    expect(after.text).toContain(`re-read     the last 60 days (backfill --days 60): done ${done.finishedAt}, ${repositories} repositories read again since ${reread.startedAt}`);
  }, 120_000);

  it('a state file that served Data Center, then Cloud: the Data Center repositories are not Cloud\'s backfill', async () => {
    const db = path.join(env.dir, 'switch.db');
    const dc = await inProcessBridge(env.config({ BRIDGE_DB: db }));
    try {
      await settledPass(dc);
    } finally {
      await dc.stop();
    }
    // Fewer Cloud repositories than Data Center ones had their first pass: counting those as Cloud's
    // would have the Cloud backfill done before it began.
    const cloud = await cloudEnv('status-backfill-switch', 2);
    const cloudStart = Date.now();
    try {
      const running = await inProcessBridge(cloudConfig(cloud, db));
      try {
        await settledPass(running);
      } finally {
        await running.stop();
      }
    } finally {
      await cloud.stop();
    }
    const { report } = await status(db);
    expect(report.backfill).toMatchObject({ state: 'done', repositoriesDone: 2, repositories: 2, pullRequests: null });
    // Cloud's own first pass, not the Data Center one before it.
    expect(Date.parse(report.backfill.startedAt!)).toBeGreaterThanOrEqual(cloudStart);
    expect(Date.parse(report.backfill.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(report.backfill.startedAt!));
  }, 120_000);

  it('a state no pass has listed yet has no backfill to show', async () => {
    const db = path.join(env.dir, 'none.db');
    const fault = env.sim.faults.add({ path: '^/rest/api/1\\.0/repos$', status: 500 });
    const running = await inProcessBridge(env.config({ BRIDGE_DB: db }));
    try {
      await running.runPass();
    } finally {
      env.sim.faults.remove(fault);
      await running.stop();
    }
    const { report, text } = await status(db);
    expect(report.backfill).toEqual({ state: 'none', repositoriesDone: 0, repositories: 0, pullRequests: null, requests: 0, startedAt: null, finishedAt: null, etaSeconds: null, budgetWaitUntil: null, reread: null });
    expect(text).not.toContain('backfill');
  }, 60_000);
});

it('a first pass in its last minute says so, not "about under 1 min"', () => {
  const startedAt = new Date(Date.now() - 600_000).toISOString();
  const report = (etaSeconds: number): StatusReport => StatusReport.parse({
    database: '/var/lib/pandev-bridge/state.db', outbox: 0, deadLetters: 0, last24h: { delivered: 0, retried: 0, dead: 0, dropped: 0 }, attention: [], repositories: [], pullRequestOrder: null, webhooks: null, rateLimited: null,
    backfill: { state: 'running', repositoriesDone: 6, repositories: 7, pullRequests: 48, requests: 300, startedAt, finishedAt: null, etaSeconds, budgetWaitUntil: null },
  });
  expect(formatStatus(report(30))).toContain(`6 of 7 repositories done, 48 pull requests read since ${startedAt}; under 1 min left`);
  expect(formatStatus(report(600))).toContain('; about 10 min left');
});

it('Cloud: a first pass waiting for the hour\'s request budget says so, and counts that wait in the time left', async () => {
  const clock = virtualClock(Date.now());
  const { sim, sink, dir, stop } = await cloudEnv('status-backfill-budget', 6, { rateLimitPerHour: 120, clock });
  // A wait that only a stop ends: the test looks at the bridge while it waits for the hour.
  const { clock: stuck, waited } = stuckClock(clock);
  const config = cloudConfig({ sim, sink }, path.join(dir, 'budget.db'), {
    BITBUCKET_REQUESTS_PER_HOUR: '120',
    // One repository at a time: some first passes complete before the hour runs out, the next waits.
    BITBUCKET_CONCURRENCY: '1',
  });
  const running = await startBridge(config, { manual: true, log: quietLogger(), timeScale: 1, clock: stuck });
  try {
    const pass = running.runPass();
    await waited;
    const report = await readStatus(running.bridge.store, clock.now());
    const { backfill } = report;
    expect(report.attention).toEqual([]);
    expect(backfill).toMatchObject({ state: 'running', repositories: 6, pullRequests: null, finishedAt: null });
    expect(backfill.repositoriesDone).toBeGreaterThan(0);
    expect(backfill.repositoriesDone).toBeLessThan(6);
    expect(backfill.requests).toBeGreaterThan(0);
    const wait = (Date.parse(backfill.budgetWaitUntil!) - clock.now()) / 1000;
    expect(wait).toBeGreaterThan(0);
    // On the virtual clock the repositories so far took no time (a burst): their rate alone would promise
    // minutes; the time left holds the wait for the hour.
    expect(backfill.etaSeconds).toBeGreaterThanOrEqual(wait);
    expect(formatStatus(report)).toContain(`waiting for Bitbucket Cloud's hourly request budget (BITBUCKET_REQUESTS_PER_HOUR) until ${backfill.budgetWaitUntil}`);
    await running.stop();
    await pass;
  } finally {
    await running.stop();
    await stop();
  }
}, 120_000);
