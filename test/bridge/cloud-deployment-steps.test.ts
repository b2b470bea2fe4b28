import path from 'node:path';
import { startBridge } from '../../src/bridge/runner';
import type { CloudSimulator } from '../../src/sandbox/cloud-sim';
import type { PanDevSink } from '../../src/sandbox/pandev-sink';
import { cloudConfig, cloudEnv, quietLogger } from './helpers';

// The bridge's Cloud edition finds a deployment once it has finished, as the app's reconciliation
// does: its pending and started deliveries still describe those steps, not the completion.

let sim: CloudSimulator;
let sink: PanDevSink;
let dir: string;
let stop: () => Promise<void>;
beforeAll(async () => ({ sim, sink, dir, stop } = await cloudEnv('bridge-cloud-deployment-steps', 1)));
afterAll(() => stop());

it('sends a finished deployment found by a poll as its pending, started and completed steps', async () => {
  const running = await startBridge(cloudConfig({ sim, sink }, path.join(dir, 'state.db')), { manual: true, log: quietLogger(), timeScale: 1 });
  const [repository] = [...sim.model.repositories.values()];
  try {
    await running.runPass();
    // A push makes the next poll read the deployments.
    const { commits } = sim.actions.pushCommits({ repository: repository!.slug, commits: 1 });
    const { deploymentUuid } = sim.actions.runDeployment({ repository: repository!.slug, environment: 'Production', commit: commits[0]! });
    sink.clear();
    expect(await running.runPass()).toMatchObject({ failed: 0 });
    await running.bridge.queue.idle();
    const bodies = sink.deliveries().filter((d) => d.eventKey === 'pandev:deployment').map((d) => d.body as { deployment: { uuid: string; state: Record<string, unknown> }; pandev: { deployment: Record<string, unknown> } });
    const step = (action: string) => bodies.find((b) => b.deployment.uuid === deploymentUuid && b.pandev.deployment.action === action)!;
    expect(step('pending').deployment.state).toEqual({ type: 'deployment_state_undeployed', name: 'UNDEPLOYED' });
    expect(step('pending').pandev.deployment).toMatchObject({ state: 'UNDEPLOYED', status: null, started_on: null, completed_on: null });
    const startedOn = step('completed').deployment.state.started_on;
    expect(step('started').deployment.state).toMatchObject({ name: 'IN_PROGRESS', started_on: startedOn });
    expect(step('started').deployment.state).not.toHaveProperty('completed_on');
    expect(step('started').pandev.deployment).toMatchObject({ state: 'IN_PROGRESS', status: null, started_on: startedOn, completed_on: null });
    expect(step('completed').pandev.deployment).toMatchObject({ state: 'COMPLETED', status: 'SUCCESSFUL' });
  } finally {
    await running.stop();
  }
});
