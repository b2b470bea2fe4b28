import { prefixes } from '../../src/core/deliver/outbox';
import type { Delivery } from '../../src/sandbox/pandev-sink/types';
import { manualEvents, reconcileNow, reconcilePasses, testSandbox, type TestSandbox } from './helpers';

// Each pandev:deployment delivery describes the step it names. The app reads the deployment when it
// builds the delivery, usually after the run has finished: its pending and started deliveries must
// not claim the completion (PanDev reads a delivery as its step, for lead time and deployment time).

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, simulator: { seed: 'deployment-steps', repositories: 1, rateLimitPerHour: 0 } })));
afterAll(() => sb.stop());

const events = manualEvents(() => sb);

interface DeploymentBody {
  deployment: { uuid: string; state: Record<string, unknown>; last_update_time?: string };
  pandev: { deployment: Record<string, unknown> & { action: string }; derived?: string[] };
}

function steps(): Map<string, Delivery & { body: DeploymentBody }> {
  const found = sb.sink.deliveries().filter((d) => d.eventKey === 'pandev:deployment') as Array<Delivery & { body: DeploymentBody }>;
  return new Map(found.map((d) => [d.body.pandev.deployment.action, d]));
}

/** What a delivery says of its step: the deployment's state and PanDev's facts, event time apart. */
function stepFacts(d: Delivery & { body: DeploymentBody }) {
  const { environment: _environment, ...facts } = d.body.pandev.deployment;
  return { id: d.headers['x-request-uuid'], state: d.body.deployment.state, updated: d.body.deployment.last_update_time, facts, derived: d.body.pandev.derived };
}

it('sends each step of a finished deployment as that step, live and found again by the reconciliation alike', async () => {
  await reconcileNow(sb);
  const repository = [...sb.simulator.model.repositories.values()][0]!;
  // The simulator runs the deployment to its end before the app reads it, as a busy queue would.
  const fired = events.act(() => sb.simulator.actions.runDeployment({ repository: repository.slug, environment: 'Production' }));
  sb.sink.clear();
  await events.fire(fired);

  const live = steps();
  expect([...live.keys()].sort()).toEqual(['completed', 'pending', 'started']);
  const pending = live.get('pending')!.body;
  expect(pending.deployment.state).toEqual({ type: 'deployment_state_undeployed', name: 'UNDEPLOYED' });
  expect(pending.deployment).not.toHaveProperty('last_update_time');
  expect(pending.pandev.deployment).toMatchObject({ state: 'UNDEPLOYED', status: null, started_on: null, completed_on: null });
  expect(pending.pandev.derived).toEqual(['deployment.state', 'deployment.last_update_time']);

  const started = live.get('started')!.body;
  const startedOn = started.deployment.state.started_on;
  expect(typeof startedOn).toBe('string');
  expect(started.deployment.state).toMatchObject({ type: 'deployment_state_in_progress', name: 'IN_PROGRESS', start_date: startedOn });
  expect(Object.keys(started.deployment.state)).not.toEqual(expect.arrayContaining(['status']));
  expect(started.deployment.state).not.toHaveProperty('completed_on');
  expect(started.deployment.state).not.toHaveProperty('completion_date');
  expect(started.deployment.last_update_time).toBe(startedOn);
  expect(started.pandev.deployment).toMatchObject({ state: 'IN_PROGRESS', status: null, started_on: startedOn, completed_on: null });

  const completed = live.get('completed')!.body;
  expect(completed.deployment.state).toMatchObject({ name: 'COMPLETED', status: { name: 'SUCCESSFUL' }, started_on: startedOn });
  expect(typeof completed.deployment.state.completed_on).toBe('string');
  expect(completed.pandev.deployment).toMatchObject({ state: 'COMPLETED', status: 'SUCCESSFUL', started_on: startedOn, completed_on: completed.deployment.state.completed_on });
  expect(completed.pandev).not.toHaveProperty('derived');

  // The same steps, their live events as if lost: the daily deployments check of a quiet repository
  // finds them under the same ids and says the same of each step.
  for (const d of live.values()) await sb.host.kvs.delete(prefixes.delivered + d.headers['x-request-uuid']);
  sb.sink.clear();
  for (const key of reconcilePasses(sb)) await sb.host.kvs.set(key, { ...((await sb.host.kvs.get(key)) as object), lastDeploymentCheckAt: Date.now() - 24 * 3_600_000 });
  await reconcileNow(sb);
  const found = steps();
  expect([...found.values()].every((d) => d.headers['x-pandev-origin'] === 'reconcile')).toBe(true);
  for (const step of ['pending', 'started', 'completed']) expect(stepFacts(found.get(step)!)).toEqual(stepFacts(live.get(step)!));
});
