import { changeFromForgeEvent } from '../../src/core/change/forge-events';
import { intentsFor } from '../../src/core/change/intents';
import type { ForgeEvent } from '../../src/sandbox/cloud-sim';
import { reconcileNow, reconcilePasses, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// The reconciliation pushes twice: the tick queues its batches, and each batch queues the deliveries it
// staged. Forge may refuse either (the installation's 500 events a minute, a lineage's 1,000 push
// requests). Neither loses anything: a batch not queued leaves its repositories due for the next tick,
// and deliveries not queued wait in the outbox for the sweep. No repository counts as failed for it.

let sb: TestSandbox;
// The sweep may queue a delivery as soon as its planned attempt has passed.
beforeAll(async () => (sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS, sweepGraceSeconds: 0 }, simulator: { seed: 'refused', repositories: 2, rateLimitPerHour: 0 } })));
afterAll(() => sb.stop());

const passes = () => reconcilePasses(sb);

it('loses nothing when the queue refuses the batches or the deliveries they found', async () => {
  const { simulator: sim, sink } = sb;
  await reconcileNow(sb); // watermarks
  sink.clear();
  // Activity whose product events never reach the app: only the reconciliation can find it.
  const events: ForgeEvent[] = [];
  const off = sim.onEvent((event) => events.push(event));
  const [author] = sim.model.users.map((u) => u.uuid);
  for (const repo of sim.model.repositories.values()) {
    const { pullRequestId } = sim.actions.openPullRequest({ repository: repo.slug, author });
    sim.actions.addComment({ repository: repo.slug, pullRequestId });
  }
  off();
  // Pull-request events keep their live ids; a branch push is rebuilt from the refs (reconcile.test.ts).
  const expected = new Set(events.filter((event) => event.eventType !== 'avi:bitbucket:push:repository').flatMap((event) => intentsFor(changeFromForgeEvent(event, new Date().toISOString())).intents.map((intent) => intent.id)));
  expect(expected.size).toBeGreaterThanOrEqual(4);
  const received = () => [...expected].filter((id) => sink.deliveries().some((d) => d.id === id)).length;

  // The tick's batches are refused: nothing is read, and the repositories stay due.
  sb.host.refusePushes('rate-limit', (body) => 'reconcile' in body);
  await reconcileNow(sb);
  expect(sb.logs.some((line) => /reconciliation not queued: the queue refused/.test(line.message))).toBe(true);
  expect(received()).toBe(0);

  // The next tick's batch runs, and its deliveries' push is refused: the passes still count, with no error.
  sb.host.refusePushes('rate-limit', (body) => 'ids' in body);
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(sb.logs.some((line) => /reconciliation deliveries left to the outbox sweep/.test(line.message))).toBe(true);
  for (const key of passes()) expect(await sb.host.kvs.get(key)).not.toHaveProperty('error');
  expect(received()).toBe(0);
  expect(sb.host.queueStats().refused.rateLimit).toBe(2);

  // The next tick's sweep queues them.
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(received()).toBe(expected.size);
}, 120_000);
