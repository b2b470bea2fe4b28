import path from 'node:path';
import { StatusReport } from '../../src/bridge/cli/status';
import { startBridge } from '../../src/bridge/runner';
import type { CloudSimulator } from '../../src/sandbox/cloud-sim';
import type { PanDevSink } from '../../src/sandbox/pandev-sink';
import { runCommand } from '../helpers/cli';
import { cloudConfig, cloudEnv, cloudVars, quietLogger, scopeLacking, virtualClock } from './helpers';

// A Cloud token created without one of the scopes the bridge reads with: the feed it guards fails, with
// the scope to add, and every other feed of the repository is still read, pass after pass.

const clock = virtualClock(Date.now());
let sim: CloudSimulator;
let sink: PanDevSink;
let dir: string;
let stop: () => Promise<void>;
beforeAll(async () => ({ sim, sink, dir, stop } = await cloudEnv('bridge-cloud-scope', 3, { clock })));
afterAll(() => stop());


it('a token without the pipeline scope: its repositories say which scope to add, their pull requests and pushes are read every pass, and the deployments once the scope is given', async () => {
  const db = path.join(dir, 'no-pipelines.db');
  const running = await startBridge(cloudConfig({ sim, sink }, db), { manual: true, log: quietLogger(), timeScale: 1, clock });
  // Passes BRIDGE_POLL_SECONDS apart, as they run.
  const pass = async () => {
    await clock.sleep(10 * 60_000);
    const summary = await running.runPass();
    await running.bridge.queue.idle();
    return summary;
  };
  const status = async () => {
    const { code, stdout } = await runCommand(['status', '--json'], { BRIDGE_DB: db });
    return { code, report: StatusReport.parse(JSON.parse(stdout)) };
  };
  const fault = sim.faults.add({ path: '/deployments', status: 403, body: scopeLacking('read:pipeline:bitbucket') });
  try {
    expect(await pass()).toMatchObject({ repositories: 3, failed: 0, partial: 3, refused: 0 });
    const [withPullRequest, pushedTo] = [...sim.model.repositories.values()];
    const { pullRequestId } = sim.actions.openPullRequest({ repository: withPullRequest!.slug, title: 'opened while the token lacks a scope' });
    const [tip] = sim.actions.pushCommits({ repository: pushedTo!.slug, commits: 1 }).commits;
    const { deploymentUuid } = sim.actions.runDeployment({ repository: withPullRequest!.slug, environment: 'Production' });
    expect(await pass()).toMatchObject({ repositories: 3, failed: 0, partial: 3 });
    expect(await pass()).toMatchObject({ repositories: 3, failed: 0, partial: 3 });

    const opened = sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created' && (d.body as any).pullrequest.id === pullRequestId && (d.body as any).repository.uuid === withPullRequest!.uuid);
    expect(opened).toHaveLength(1);
    expect(sink.deliveries().filter((d) => d.eventKey === 'repo:push' && (d.body as any).push.changes.some((c: any) => c.new?.target?.hash === tip))).toHaveLength(1);
    const lackingScope = await status();
    expect(lackingScope.code).toBe(1);
    expect(lackingScope.report.attention).toHaveLength(3);
    for (const item of lackingScope.report.attention) expect(item.message).toContain('lacks the scope read:pipeline:bitbucket');

    // A token with the scope: what was deployed meanwhile is read, once.
    sim.faults.remove(fault);
    expect(await pass()).toMatchObject({ repositories: 3, failed: 0 });
    const steps = sink.deliveries().filter((d) => d.eventKey === 'pandev:deployment' && (d.body as any).pandev.deployment.uuid === deploymentUuid);
    expect(steps.map((d) => (d.body as any).pandev.deployment.action).sort()).toEqual(['completed', 'pending', 'started']);
    expect(sink.duplicates()).toBe(0);
    expect((await status()).report.attention).toEqual([]);
  } finally {
    sim.faults.remove(fault);
    await running.stop();
  }
}, 60_000);

it('a backfill whose token lacks the pipeline scope counts its repositories as read but for that feed, not failed, and exits 1 for someone to add it', async () => {
  const fault = sim.faults.add({ path: '/deployments', status: 403, body: scopeLacking('read:pipeline:bitbucket') });
  try {
    const run = await runCommand(['backfill', '--wait', '5'], cloudVars({ sim, sink }, path.join(dir, 'backfill-no-pipelines.db')));
    expect(run.stdout).toContain('3 repositories polled (0 failed, 3 read but for a feed the token may not read: see `pandev-bitbucket status`)');
    expect(run.code).toBe(1);
  } finally {
    sim.faults.remove(fault);
  }
}, 60_000);
