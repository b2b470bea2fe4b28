import path from 'node:path';
import { runBackfill } from '../../src/bridge/backfill';
import type { CloudSimulator } from '../../src/sandbox/cloud-sim';
import type { PanDevSink } from '../../src/sandbox/pandev-sink';
import { cloudConfig, cloudEnv, inProcessBridge, quietLogger, settledPass, until } from './helpers';

// A Cloud bridge stopped in the middle of a repository's first pass takes that pass up where it got to
// after a restart: the pull-request news and the refs it staged are not read from Bitbucket again, and
// PanDev ends with exactly what an uninterrupted pass delivers. A changed window starts the pass over.

const SEED = 'bridge-cloud-resume';
const STATUSES = 'GET /repositories/{workspace}/{repo_slug}/commit/{commit}/statuses';
const ACTIVITY = 'GET /repositories/{workspace}/{repo_slug}/pullrequests/activity';
// Same seed and history end: the control workspace and the interrupted one hold the same data.
const baseTime = Date.now();
const options = { pullRequestsPerRepository: 40, historyDays: 20, baseTime };

type Env = Awaited<ReturnType<typeof cloudEnv>>;

const config = (env: Env, db: string, days = '30') => cloudConfig(env, path.join(env.dir, db), { BRIDGE_BACKFILL_DAYS: days });

const requests = (sim: CloudSimulator) => sim.stats().total;
const ids = (sink: PanDevSink) => [...new Set(sink.deliveries().map((d) => d.id))].sort();

/** A first pass stopped once the refs are part read (each moved branch's tip statuses are slowed down). */
async function stoppedMidRefs(env: Env, db: string): Promise<void> {
  const slow = env.sim.faults.add({ path: '/statuses$', latencyMs: 150 });
  env.sim.resetStats();
  const running = await inProcessBridge(config(env, db));
  const pass = running.runPass();
  await until(() => (env.sim.stats().byRoute[STATUSES] ?? 0) >= 8, 30_000, 'the refs to be part read');
  await running.stop();
  expect(await pass).toMatchObject({ stopped: 1, failed: 0 });
  env.sim.faults.remove(slow);
}

describe('a Cloud bridge restarted in the middle of a repository', () => {
  let control: Env;
  let env: Env;
  beforeAll(async () => ([control, env] = await Promise.all([cloudEnv(SEED, 1, options), cloudEnv(SEED, 1, options)])));
  afterAll(() => Promise.all([control.stop(), env.stop()]));

  it('reads on where it stopped, and PanDev gets exactly what an uninterrupted pass delivers', async () => {
    const uninterrupted = await inProcessBridge(config(control, 'state.db'));
    try {
      expect(await settledPass(uninterrupted)).toMatchObject({ repositories: 1, failed: 0 });
    } finally {
      await uninterrupted.stop();
    }
    const fullRead = requests(control.sim);

    await stoppedMidRefs(env, 'state.db');
    const beforeRestart = ids(env.sink).length;
    expect(beforeRestart).toBeGreaterThan(0);
    expect(beforeRestart).toBeLessThan(ids(control.sink).length);
    env.sim.resetStats();
    const restarted = await inProcessBridge(config(env, 'state.db'));
    try {
      expect(await settledPass(restarted)).toMatchObject({ repositories: 1, failed: 0, stopped: 0 });
      const resumed = requests(env.sim);
      // The pull requests' news was staged before the stop: the activity log is not read again.
      expect(env.sim.stats().byRoute[ACTIVITY]).toBeUndefined();
      expect(resumed).toBeLessThan(fullRead);
      process.stdout.write(`cloud resume: a full first pass made ${fullRead} requests, the pass taken up after the stop ${resumed}\n`);
      expect(ids(env.sink)).toEqual(ids(control.sink));

      // Complete, the pass is not taken up again: the next one reads from its start, finding nothing new.
      env.sim.resetStats();
      await settledPass(restarted);
      expect(ids(env.sink)).toEqual(ids(control.sink));
      expect(env.sim.stats().byRoute[ACTIVITY]).toBe(1);
    } finally {
      await restarted.stop();
    }
  }, 120_000);

  it('starts the pass over when the window changed while it was stopped', async () => {
    await stoppedMidRefs(env, 'window.db');
    env.sim.resetStats();
    // BRIDGE_BACKFILL_DAYS lowered before the first pass completed: that pass is read again in the new window.
    const restarted = await inProcessBridge(config(env, 'window.db', '10'));
    try {
      expect(await settledPass(restarted)).toMatchObject({ repositories: 1, failed: 0 });
      expect(env.sim.stats().byRoute[ACTIVITY]).toBeGreaterThan(0);
    } finally {
      await restarted.stop();
    }
  }, 120_000);

  it('starts the pass over when `backfill --days` widened the window while it was stopped', async () => {
    await stoppedMidRefs(env, 'wider.db');
    env.sim.resetStats();
    const result = await runBackfill(config(env, 'wider.db'), { days: 40, waitSeconds: 30, log: quietLogger() });
    expect(result.pass).toMatchObject({ repositories: 1, failed: 0 });
    expect(env.sim.stats().byRoute[ACTIVITY]).toBeGreaterThan(0);
  }, 120_000);
});
