import { PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// Deselecting a repository is the admin saying "do not send PanDev this repository": what of it was
// already waiting in the outbox (a pause, a retry, a dead letter) must not go out afterwards either.

let sb: TestSandbox;
beforeAll(async () => {
  // The tick's sweep takes up what waited, at once rather than five minutes late. PanDev's scripted
  // 410 must reach the app: a loaded machine past the 400 ms default timed out the attempt that got it.
  sb = await testSandbox({ tuning: { sweepGraceSeconds: 0, deliveryTimeoutMs: PATIENT_PANDEV_MS } });
  await sb.settle();
});
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);

const repositories = () => [...sb.simulator.model.repositories.values()];
const deliveredRepositories = () => sb.sink.deliveries().map((d) => (d.body as { repository?: { uuid?: string } }).repository?.uuid);

it('does not send what waited out a pause for a repository deselected meanwhile', async () => {
  const [kept, left] = repositories();
  // PanDev's 410 pauses deliveries: what happens from then on waits in the outbox.
  sb.sink.respondNext(410, 1, 'gone');
  sb.simulator.actions.openPullRequest({ repository: left!.slug });
  await sb.settle();
  expect(data(await call('connection/get')).disabled).toBeDefined();
  sb.simulator.actions.openPullRequest({ repository: left!.slug });
  sb.simulator.actions.openPullRequest({ repository: kept!.slug });
  await sb.settle();
  const waiting = await Promise.all(sb.host.kvs.keys('outbox:').map((key) => sb.host.kvs.get(key) as Promise<{ change: { repository: { uuid: string } } }>));
  expect(waiting.map((entry) => entry.change.repository.uuid)).toEqual(expect.arrayContaining([left!.uuid, kept!.uuid]));
  sb.sink.clear();

  data(await call('repositories/select', { scope: 'repositories', repositories: [left!.uuid], selected: false }));
  expect(data(await call('connection/check')).ok).toBe(true);
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();

  expect(deliveredRepositories()).toContain(kept!.uuid);
  expect(deliveredRepositories()).not.toContain(left!.uuid);
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
});

it('does not send the dead letters of a deselected repository on Replay all, and lets them go', async () => {
  const [, , gone] = repositories();
  sb.sink.respondNext(400, 1, 'unsupported payload version');
  sb.simulator.actions.openPullRequest({ repository: gone!.slug });
  await sb.settle();
  expect(data(await call('deadLetters/list', {})).items).toHaveLength(1);
  sb.sink.clear();

  data(await call('repositories/select', { scope: 'repositories', repositories: [gone!.uuid], selected: false }));
  data(await call('deadLetters/replayAll', {}));
  await sb.settle();

  expect(deliveredRepositories()).not.toContain(gone!.uuid);
  expect(data(await call('deadLetters/list', {})).items).toEqual([]);
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
});
