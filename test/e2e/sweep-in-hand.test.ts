import { PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// The five-minute sweep re-queues an outbox entry whose planned attempt is past its grace, which is
// also true of one a consumer still has in hand (its message waited in a queue backlog, then a slow
// Bitbucket read). Queued at once, the copy ran beside it: two enrichments, and the same delivery
// POSTed twice. The copy waits out the longest a consumer may run, and then finds it delivered.

let sb: TestSandbox;
// The queue's delays and the consumer's 120 s limit scaled alike (to 24 s), as on Forge; a grace of 0
// stands in for a message that waited past the real one.
beforeAll(async () => (sb = await testSandbox({ timeScale: 0.2, functionTimeoutScale: 0.2, scheduledTriggers: false, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS, sweepGraceSeconds: 0 } })));
afterAll(() => sb.stop());

it('a swept entry that a consumer is still enriching is not sent a second time beside it', async () => {
  const { simulator: sim, sink, host } = sb;
  const repository = [...sim.model.repositories.values()][0]!;
  sim.faults.add({ path: `pullrequests/\\d+$`, latencyMs: 3000, times: 1 });
  sim.actions.openPullRequest({ repository: repository.slug });
  while (host.kvs.keys('outbox:').length === 0) await new Promise((resolve) => setTimeout(resolve, 20));

  await host.runScheduled('five-minute-tick');
  expect(sb.logs.some((line) => line.message.includes('outbox sweep re-queued late deliveries'))).toBe(true);
  await sb.settle();

  expect(sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created')).toHaveLength(1);
  // Every POST stored once: none sent beside another attempt of the same delivery.
  expect(sink.received()).toBe(sink.deliveries().length);
  expect(sink.duplicates()).toBe(0);
  expect(host.kvs.keys('outbox:')).toEqual([]);
}, 60_000);
