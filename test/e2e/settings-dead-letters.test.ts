import { settingsStore } from '../../src/core/config/settings';
import { hostStores } from '../../src/sandbox/host-store';
import { refuseDeliveries, acceptDeliveries, testSandbox, type TestSandbox } from './helpers';
import { data, replayAll, settingsCaller } from './settings-helpers';

// Dead letters by the dozen: Forge's storage answers 20 per query, so the list follows its cursor, the
// status counts past the first page, and Replay all goes in bounded calls, each resumed where the last stopped.

let sb: TestSandbox;
let dead = 0;
beforeAll(async () => {
  sb = await testSandbox({ simulator: { repositories: 3, pullRequestsPerRepository: 0 } });
  // PanDev refuses every delivery for good: each becomes a dead letter.
  refuseDeliveries(sb);
  const repositories = [...sb.simulator.model.repositories.values()];
  for (let i = 0; i < 45; i++) sb.simulator.actions.openPullRequest({ repository: repositories[i % repositories.length]!.slug });
  await sb.settle();
  dead = (await sb.outbox().listDead(undefined, 1000)).entries.length;
});
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);

it('lists them 20 at a time, the cursor bringing the rest', async () => {
  expect(dead).toBeGreaterThan(40);
  const first = data(await call('deadLetters/list', { limit: 100 }));
  expect(first.items).toHaveLength(20);
  const ids = new Set(first.items.map((item) => item.id));
  for (let cursor = first.cursor; cursor; ) {
    const page = data(await call('deadLetters/list', { limit: 20, cursor }));
    for (const item of page.items) ids.add(item.id);
    cursor = page.cursor;
  }
  expect(ids.size).toBe(dead);
});

it('counts them in the status past the first page', async () => {
  expect(data(await call('status/get')).deadLetters).toEqual({ count: dead, more: false });
});

it('replays all of them, a bounded number per call, once the cause is fixed', async () => {
  acceptDeliveries(sb);
  expect(await call('deadLetters/replayAll', { before: -1 })).toMatchObject({ ok: false, error: { code: 'invalid-input', field: 'before' } });
  // The first call names the moment by the server's clock; the next ones pass it back.
  const calls = await replayAll(call);
  expect(new Set(calls.map((c) => c.before)).size).toBe(1);
  expect(calls.length).toBeGreaterThan(1);
  for (const { replayed, alreadyDelivered } of calls) expect(replayed + alreadyDelivered).toBeLessThanOrEqual(80);
  expect(calls.reduce((sum, c) => sum + c.replayed + c.alreadyDelivered, 0)).toBe(dead);
  await sb.settle();
  expect((await sb.outbox().listDead(undefined, 1000)).entries).toEqual([]);
  expect(sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created')).toHaveLength(45);
});

it('leaves a letter that died after the admin asked: a cause not fixed does not replay in a loop', async () => {
  refuseDeliveries(sb);
  sb.simulator.actions.openPullRequest({ repository: [...sb.simulator.model.repositories.values()][0]!.slug });
  await sb.settle();
  const letters = (await sb.outbox().listDead(undefined, 1000)).entries;
  expect(letters.length).toBeGreaterThan(0);
  const asked = Math.min(...letters.map((letter) => letter.value.deadAt)) - 1;
  expect(data(await call('deadLetters/replayAll', { before: asked }))).toEqual({ replayed: 0, alreadyDelivered: 0, before: asked });
  expect((await sb.outbox().listDead(undefined, 1000)).entries).toHaveLength(letters.length);
});

it('replays with a few queue events, not one per letter, and a push the queue refuses leaves the rest to the sweep', async () => {
  const { store, secrets } = hostStores(sb.host);
  refuseDeliveries(sb);
  const repositories = [...sb.simulator.model.repositories.values()];
  for (let i = 0; i < 30; i++) sb.simulator.actions.openPullRequest({ repository: repositories[i % repositories.length]!.slug });
  await sb.settle();
  const letters = (await sb.outbox().listDead(undefined, 1000)).entries.length;
  expect(letters).toBeGreaterThanOrEqual(30);
  acceptDeliveries(sb);
  const delivered = sb.sink.deliveries().length;

  // Forge allows an installation 500 events a minute: a thousand letters replayed one event each ran
  // into it (and took the live events' share). Here the installation's other traffic used it up once.
  const pushed = sb.host.queueStats().pushed;
  sb.host.refusePushes('rate-limit', (body) => 'ids' in body, 1);
  const replayed = (await replayAll(call)).reduce((sum, answer) => sum + answer.replayed, 0);
  expect(replayed).toBe(letters);
  expect(sb.host.queueStats().pushed - pushed).toBeLessThanOrEqual(Math.ceil(letters / 50) + 1);
  await sb.settle();
  expect((await sb.outbox().listDead(undefined, 1000)).entries).toEqual([]);

  // What the refused push carried waits in the outbox, where the five-minute sweep finds it.
  await settingsStore(store, secrets).saveTuning({ ...(await settingsStore(store, secrets).tuning()), sweepGraceSeconds: 0 });
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
  expect(sb.sink.deliveries().length - delivered).toBe(letters);
});

it('replays one letter when the queue refuses its push: the sweep sends it, the admin is not told it failed', async () => {
  const { store, secrets } = hostStores(sb.host);
  refuseDeliveries(sb);
  sb.simulator.actions.openPullRequest({ repository: [...sb.simulator.model.repositories.values()][0]!.slug });
  await sb.settle();
  const [letter] = (await sb.outbox().listDead(undefined, 1000)).entries;
  expect(letter).toBeDefined();
  acceptDeliveries(sb);

  sb.host.refusePushes('rate-limit', (body) => 'ids' in body, 1);
  expect(data(await call('deadLetters/replay', { id: letter!.value.entry.id }))).toEqual({ outcome: 'queued' });
  await settingsStore(store, secrets).saveTuning({ ...(await settingsStore(store, secrets).tuning()), sweepGraceSeconds: 0 });
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(sb.sink.deliveries().map((d) => d.id)).toContain(letter!.value.entry.id);
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
});
