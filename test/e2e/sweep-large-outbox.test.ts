import { PANDEV_NAMESPACE, uuidv5 } from '../../src/core/change/delivery-id';
import type { OutboxEntry } from '../../src/core/deliver/outbox';
import { QUERIES_PER_METERED_SWEEP } from '../../src/core/pipeline/sweep';
import { PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// A long PanDev outage leaves the outbox holding thousands of deliveries, each waiting out a retry its
// own queue message will bring; a few others lost theirs and are late. Forge's storage answers a query
// 20 values at a time, each query metered against the installation's quota and taking the tick's time:
// a tick that read the whole outbox to find the late ones made hundreds of queries every five minutes.
// Each tick now reads a bounded part, going on where the last one stopped, and a walk of the outbox
// still finds every late delivery.

const WAITING = 5000;
/** An outbox of `entries` at 20 a page, with room for the prefixes the walk reads again or finds empty. */
const ticksForOneWalk = (entries: number) => Math.ceil(entries / 20 / QUERIES_PER_METERED_SWEEP) * 2 + 2;

let sb: TestSandbox;
// The platform drops every retry, as it may: only the sweep brings the late deliveries back.
beforeAll(async () => (sb = await testSandbox({ scheduledTriggers: false, maxPlatformRetries: 0, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS } })));
afterAll(() => sb.stop());

async function entry(key: string): Promise<OutboxEntry> {
  return (await sb.host.kvs.get(key)) as OutboxEntry;
}

/** Runs the five-minute tick until PanDev holds every one of `ids`, or `most` ticks ran: the storage queries each made. */
async function ticksUntilDelivered(ids: string[], most: number): Promise<number[]> {
  const queriesPerTick: number[] = [];
  while (queriesPerTick.length < most && !ids.every((id) => sb.sink.deliveries().some((d) => d.id === id))) {
    sb.host.resetStorageStats();
    await sb.host.runScheduled('five-minute-tick');
    queriesPerTick.push(sb.host.storageStats().keys['outbox:']?.query ?? 0);
    await sb.settle();
  }
  return queriesPerTick;
}

const deliveredOnce = (ids: string[]) => ids.filter((id) => sb.sink.deliveries().filter((d) => d.id === id).length !== 1);

it('reads a bounded part of a large outbox each tick and re-queues every late delivery within one walk of it', async () => {
  const { simulator: sim, sink, host } = sb;
  const repositories = [...sim.model.repositories.values()];
  sink.respondNext(503, repositories.length);
  for (const r of repositories) sim.actions.openPullRequest({ repository: r.slug });
  await sb.settle();
  const failed = host.kvs.keys('outbox:');
  expect(failed).toHaveLength(repositories.length);

  // Their retries were lost an hour ago; each moved to a place of its own in key order, the last one
  // last. (The reconciliation finds the pull requests again under their own ids: delivered apart.)
  const now = Date.now();
  const lateIds = ['00000000-0000-5000-8000-000000000000', '7fffffff-ffff-5fff-bfff-ffffffffffff', 'ffffffff-ffff-5fff-bfff-ffffffffffff'].slice(0, failed.length);
  for (const [i, key] of failed.entries()) {
    const late = await entry(key);
    await host.kvs.delete(key);
    await host.kvs.set(`outbox:${lateIds[i]}`, { ...late, id: lateIds[i], nextAttemptAt: now - 3_600_000 });
  }
  const template = await entry(`outbox:${lateIds[0]}`);
  const waiting = new Set<string>();
  for (let i = 0; i < WAITING; i++) {
    const id = uuidv5(`waiting ${i}`, PANDEV_NAMESPACE);
    waiting.add(id);
    await host.kvs.set(`outbox:${id}`, { ...template, id, attempts: 3, nextAttemptAt: now + 86_400_000 });
  }

  const queriesPerTick = await ticksUntilDelivered(lateIds, ticksForOneWalk(WAITING));
  expect(queriesPerTick.filter((queries) => queries > QUERIES_PER_METERED_SWEEP)).toEqual([]);
  expect(deliveredOnce(lateIds)).toEqual([]);
  expect(sink.duplicates()).toBe(0);
  // The waiting deliveries were left to their own retries.
  expect(sink.deliveries().filter((d) => waiting.has(d.id))).toEqual([]);
  expect(host.kvs.keys('outbox:')).toHaveLength(WAITING);
}, 180_000);

it('splits a part of the outbox too large for one tick, as often as it takes, and finds the late deliveries inside it', async () => {
  const { sink, host } = sb;
  // More than one tick reads, all under one prefix two characters long: the walk splits it twice.
  const crowded = 1500;
  const template = await entry(host.kvs.keys('outbox:')[0]!);
  const now = Date.now();
  const waiting = new Set<string>();
  for (let i = 0; i < crowded; i++) {
    const id = `aa${uuidv5(`crowded ${i}`, PANDEV_NAMESPACE).slice(2)}`;
    waiting.add(id);
    await host.kvs.set(`outbox:${id}`, { ...template, id, nextAttemptAt: now + 86_400_000 });
  }
  const lateIds = ['aa000000-0000-5000-8000-000000000000', 'aaffffff-ffff-5fff-bfff-ffffffffffff'];
  for (const id of lateIds) await host.kvs.set(`outbox:${id}`, { ...template, id, attempts: 1, nextAttemptAt: now - 3_600_000 });

  const queriesPerTick = await ticksUntilDelivered(lateIds, ticksForOneWalk(WAITING + crowded) + 2);
  expect(queriesPerTick.filter((queries) => queries > QUERIES_PER_METERED_SWEEP)).toEqual([]);
  expect(deliveredOnce(lateIds)).toEqual([]);
  expect(sink.deliveries().filter((d) => waiting.has(d.id))).toEqual([]);
  expect(sink.duplicates()).toBe(0);
}, 180_000);

it('reads again the part whose late deliveries the platform refused to queue', async () => {
  const { sink, host } = sb;
  const { prefix } = (await host.kvs.get('sweep:position')) as { prefix: string };
  const template = await entry(host.kvs.keys('outbox:')[0]!);
  // Where the next tick starts: it finds this one first.
  const id = `${prefix}${'0'.repeat(8 - prefix.length)}-0000-5000-8000-000000000001`;
  await host.kvs.set(`outbox:${id}`, { ...template, id, attempts: 1, nextAttemptAt: Date.now() - 3_600_000 });
  host.refusePushes('invocation-limit', (body) => Array.isArray(body.ids) && body.ids.includes(id), 1);

  await host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(sb.logs.some((line) => line.message.includes('could not sweep the outbox'))).toBe(true);
  expect(sink.deliveries().filter((d) => d.id === id)).toEqual([]);

  await host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(deliveredOnce([id])).toEqual([]);
}, 60_000);
