import { activityKey } from '../../src/core/pipeline/stage';
import { hostStores } from '../../src/sandbox/host-store';
import { backfillEnded, backfillSandbox } from './backfill-sandbox';
import { manualEvents, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// The Repositories list's "Last event". The app notes it at most once a minute per repository and
// function instance, and the backfill's replay of a change days old can take that minute's write: the
// newest change delivered is what the admin must see, not the replay's date.

let sb: TestSandbox;
afterEach(() => sb.stop());
const call = settingsCaller(() => sb);
const events = manualEvents(() => sb);

/** One repository with a little history, activated: its backfill replays it. */
async function backfilled(seed: string, before: (uuid: string) => Promise<void> = async () => undefined) {
  sb = await backfillSandbox({ seed, repositories: 1, pullRequestsPerRepository: 3, historyDays: 10 });
  const repository = [...sb.simulator.model.repositories.values()][0]!;
  await before(repository.uuid);
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const replays = sb.sink.deliveries();
  expect(replays.length).toBeGreaterThan(0);
  expect(replays.every((d) => d.headers['x-pandev-origin'] === 'backfill')).toBe(true);
  return repository;
}

async function lastEvent(repository: { uuid: string; slug: string }) {
  const row = data(await call('repositories/list', { search: repository.slug })).items.find((i) => i.uuid === repository.uuid);
  expect(row?.lastEvent).toBeDefined();
  return row!.lastEvent!;
}

it("shows a live event delivered in the minute of a backfill replay, not the replay's old date", async () => {
  const repository = await backfilled('last-event');
  await events.fire(events.act(() => sb.simulator.actions.openPullRequest({ repository: repository.slug })));
  const live = sb.sink.deliveries().find((d) => d.headers['x-pandev-origin'] === 'trigger' && d.eventKey === 'pullrequest:created');
  expect(live).toBeDefined();
  const opened = Date.parse((live!.body as { pullrequest: { created_on: string } }).pullrequest.created_on);

  const shown = await lastEvent(repository);
  expect(Date.parse(shown.at)).toBeGreaterThanOrEqual(opened);
  expect(shown).toMatchObject({ key: 'pullrequest:created', origin: 'trigger' });
  expect(shown.deliveredAt).toBeGreaterThanOrEqual(live!.receivedAt);
});

it('keeps a newer event another function instance noted when a backfill replay writes after it', async () => {
  // Forge runs the trigger's consumer and the backfill's apart: each keeps its own minute.
  const noted = { lastEventKey: 'pullrequest:fulfilled', lastEventAt: new Date().toISOString(), lastEventOrigin: 'trigger', lastDeliveredAt: Date.now() };
  const repository = await backfilled('last-event-elsewhere', (uuid) => hostStores(sb.host).store.set(activityKey(uuid), noted));

  const shown = await lastEvent(repository);
  expect(shown).toMatchObject({ key: noted.lastEventKey, at: noted.lastEventAt, origin: 'trigger' });
  // The replay's delivery is still counted as the last one.
  expect(shown.deliveredAt).toBeGreaterThanOrEqual(Math.min(...sb.sink.deliveries().map((d) => d.receivedAt)));
});
