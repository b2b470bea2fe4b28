import { testSandbox, type TestSandbox } from './helpers';

// Forge does not promise that a requested retry ever runs. Here the host drops every retry, as a
// platform might; the five-minute tick finds the late outbox entry and queues it again.

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ maxPlatformRetries: 0, tuning: { deliveryTimeoutMs: 400, baseDelaySeconds: 0.001, maxDelaySeconds: 0.001, sweepGraceSeconds: 0 } })));
afterAll(() => sb.stop());

it('re-queues a delivery whose retry the platform never ran', async () => {
  const { simulator: sim, sink, host } = sb;
  sink.respondNext(503, 1);
  sim.actions.openPullRequest({ repository: [...sim.model.repositories.values()][0]!.slug });
  await sb.settle();
  const created = () => sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created');
  expect(created()).toHaveLength(0);
  expect(host.kvs.keys('outbox:')).toHaveLength(1);
  expect(sb.logs.some((line) => line.source === 'host' && /retr/i.test(line.message))).toBe(true);

  await new Promise((resolve) => setTimeout(resolve, 1100)); // the planned retry time passes
  await host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(created()).toHaveLength(1);
  expect(created()[0]!.attempt).toBe(2);
  expect(host.kvs.keys('outbox:')).toEqual([]);
});
