import path from 'node:path';
import { startBridge } from '../../src/bridge/runner';
import { kvKey } from '../../src/core/keys';
import type { CloudSimulator } from '../../src/sandbox/cloud-sim';
import type { PanDevSink } from '../../src/sandbox/pandev-sink';
import { cloudConfig, cloudEnv, quietLogger, virtualClock } from './helpers';

// The bridge's Cloud edition polls through the core's reconciliation, and keeps its own cursor: what
// Bitbucket dates by its clock, behind the bridge's, must be read in the overlap there too, and what
// the last poll saw of it must be kept so it is no news to the next.

const clock = virtualClock(Date.now());
/** How far Bitbucket's clock is behind the bridge's. */
let behind = 0;
let sim: CloudSimulator;
let sink: PanDevSink;
let dir: string;
let stop: () => Promise<void>;
beforeAll(async () => ({ sim, sink, dir, stop } = await cloudEnv('bridge-cloud-skew', 1, { clock: { now: () => clock.now() - behind } })));
afterAll(() => stop());

it('delivers a deployment dated just before the last poll read the deployments, exactly once', async () => {
  // The admin's access token (Bearer), where the other Cloud tests use an API token.
  const config = cloudConfig({ sim, sink }, path.join(dir, 'state.db'), { BITBUCKET_USERNAME: '', BITBUCKET_TOKEN: sim.credentials.admin.token });
  const running = await startBridge(config, { manual: true, log: quietLogger(), timeScale: 1, clock });
  const [repository] = [...sim.model.repositories.values()];
  const cursor = async () => (await running.bridge.store.get(kvKey('bridge', 'cloud', repository!.uuid))) as { deploymentsAt: number; lastActivityAt: number };
  const pass = async () => {
    await clock.sleep(1000);
    expect(await running.runPass()).toMatchObject({ failed: 0 });
    await running.bridge.queue.idle();
  };
  try {
    await pass();
    const { deploymentsAt } = await cursor();
    // A push and the pipeline it ran, made after that poll, dated 30 s before it started.
    behind = clock.now() - (deploymentsAt - 30_000);
    const { commits } = sim.actions.pushCommits({ repository: repository!.slug, commits: 1 });
    const { deploymentUuid } = sim.actions.runDeployment({ repository: repository!.slug, environment: 'Production', commit: commits[0]! });
    expect(repository!.deployments.find((d) => d.uuid === deploymentUuid)!.updatedOn / 1000).toBeLessThan(deploymentsAt);
    sink.clear();
    sim.resetStats();
    await pass();
    await pass();
    // The push makes the first poll read the deployments (the one request for them); the second does not.
    expect(sim.stats().byRoute['GET /repositories/{workspace}/{repo_slug}/deployments']).toBe(1);
    const steps = sink.deliveries().filter((d) => d.eventKey === 'pandev:deployment' && (d.body as any).pandev.deployment.uuid === deploymentUuid).map((d) => (d.body as any).pandev.deployment.action);
    expect(steps.sort()).toEqual(['completed', 'pending', 'started']);
    expect(sink.duplicates()).toBe(0);
    // A change that is no push makes the next poll read the deployments again, down into the overlap
    // that holds this one: already seen, it is no news, and the repository does not look active again.
    const { lastActivityAt } = await cursor();
    behind = 0;
    sim.actions.updateRepository({ repository: repository!.slug, description: 'deployed' });
    sink.clear();
    sim.resetStats();
    await pass();
    expect(sim.stats().byRoute['GET /repositories/{workspace}/{repo_slug}/deployments']).toBe(1);
    expect(sink.deliveries()).toEqual([]);
    expect(sink.duplicates()).toBe(0);
    expect((await cursor()).lastActivityAt).toBe(lastActivityAt);
  } finally {
    await running.stop();
  }
}, 60_000);
