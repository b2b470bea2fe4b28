import { settingsStore } from '../../src/core/config/settings';
import { hostStores } from '../../src/sandbox/host-store';
import { backfillEnded, backfillRecords, backfillSandbox } from './backfill-sandbox';
import { reconcileNow, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// A repository selected long after the app was activated gets the backfill window the admin chose
// (30 days here), and the reconciliation reads it from then on: not all the way back to the activation.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterAll(() => sb.stop());

it('reconciles a repository selected two months after activation from its selection, not from the activation', async () => {
  sb = await backfillSandbox({ seed: 'selected-later', repositories: 2, historyDays: 90 }, { backfillDays: 30 });
  const [first, later] = [...sb.simulator.model.repositories.values()];
  data(await call('repositories/select', { scope: 'all', selected: false }));
  data(await call('repositories/select', { scope: 'repositories', repositories: [first!.uuid], selected: true }));
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  await reconcileNow(sb);
  const settings = settingsStore(hostStores(sb.host).store, hostStores(sb.host).secrets);
  await settings.saveConnection({ ...(await settings.connection())!, activatedAt: Date.now() - 60 * 86_400_000 });

  data(await call('repositories/select', { scope: 'repositories', repositories: [later!.uuid], selected: true }));
  await backfillEnded(sb);
  const since = Date.parse((await backfillRecords(sb)).find((record) => record.repository === later!.uuid)!.since);
  await reconcileNow(sb);
  await reconcileNow(sb);
  const ofLater = sb.sink.deliveries().filter((d) => (d.body as { repository: { uuid: string } }).repository.uuid === later!.uuid);
  expect(ofLater.filter((d) => d.headers['x-pandev-origin'] === 'backfill').length).toBeGreaterThan(0);
  const beforeWindow = ofLater
    .filter((d) => d.headers['x-pandev-origin'] === 'reconcile')
    .map((d) => `${d.eventKey} ${(d.body as { pandev: { event_time: string } }).pandev.event_time}`)
    .filter((line) => Date.parse(line.split(' ')[1]!) < since);
  expect(beforeWindow).toEqual([]);
}, 180_000);
