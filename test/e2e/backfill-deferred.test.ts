import { REQUESTED_AT_ONCE } from '../../src/core/backfill/pending';
import { backfillRecords, backfillSandbox } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, loadAll, settingsCaller } from './settings-helpers';

// Activating a workspace of 1,300 repositories: Forge storage takes about 4,000 writes a minute, so the
// activation writes the first 500 backfill records and says it asked for all 1,300; the next
// five-minute tick writes the rest, passing over one deselected in between. The status says meanwhile
// how many wait to be queued, and counts them in the time left.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterAll(() => sb?.stop());

it('asks for every backfill on activation, writes the first records at once and the rest on the next tick', async () => {
  sb = await backfillSandbox({ seed: 'deferred', repositories: 1300, pullRequestsPerRepository: 0, historyDays: 1 });
  const uuids = [...sb.simulator.model.repositories.values()].map((r) => r.uuid);
  // The admin has the list on the page before activating: Activate finds it read.
  await loadAll(call, { limit: 100 });
  expect(data(await call('connection/activate', {})).backfillRequested).toBe(1300);
  const written = new Set((await backfillRecords(sb)).map((r) => r.repository));
  expect(written.size).toBe(REQUESTED_AT_ONCE);
  const note = async () => data(await call('status/get', {})).notes.map((n) => n.text).filter((text) => /still to be queued/.test(text));
  expect(await note()).toEqual([expect.stringContaining('800 more selected repositories are still to be queued')]);

  // The list shows one waiting for its record queued, like those written.
  const rows = data(await call('repositories/list', { offset: 0, limit: 100 })).items.concat(data(await call('repositories/list', { offset: 1200, limit: 100 })).items);
  expect(rows.filter((r) => r.backfill?.state !== 'queued').map((r) => r.name)).toEqual([]);
  expect(rows.some((r) => !written.has(r.uuid))).toBe(true);

  const deselected = uuids.find((uuid) => !written.has(uuid))!;
  data(await call('repositories/select', { scope: 'repositories', repositories: [deselected], selected: false }));
  expect(await note()).toEqual([expect.stringContaining('799 more selected repositories')]);
  // The time left counts the waiting ones already: it does not jump when the tick writes their records.
  const waitingStatus = data(await call('status/get', {}));
  const etaWaiting = waitingStatus.backfill.etaSeconds!;
  // 500 records are 25 storage queries a status: the page may still ask every 15 s.
  expect(waitingStatus.refreshSeconds).toBe(15);

  await sb.host.runScheduled('five-minute-tick');
  const records = await backfillRecords(sb);
  expect(records.map((r) => r.repository).sort()).toEqual(uuids.filter((uuid) => uuid !== deselected).sort());
  expect(await note()).toEqual([]);
  // Work done meanwhile only lowers it; a few requests spent from the hour may raise it a little.
  // Without the waiting ones it would have been about 500 / 1,299 of this.
  const writtenStatus = data(await call('status/get', {}));
  expect(writtenStatus.backfill.etaSeconds!).toBeLessThan(etaWaiting * 1.2);
  // 1,299 records: a status lists them in 65 queries, so the page asks once a minute.
  expect(writtenStatus.refreshSeconds).toBe(60);
}, 180_000);
