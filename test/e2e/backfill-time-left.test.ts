import type { BackfillRecord } from '../../src/core/backfill/state';
import { backfillRecords, backfillSandbox } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// A repository's time left is saved by its backfill's pieces, which may be a quarter of an hour apart
// (a piece waiting for the request budget) or stopped (deselected): what the page shows counts from then.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterEach(() => sb.stop());

it('shows a repository\'s time left less the time since its last piece said it, and none from before it was stopped', async () => {
  sb = await backfillSandbox({ seed: 'time-left', repositories: 2, pullRequestsPerRepository: 2, historyDays: 5 });
  data(await call('connection/activate', {}));
  await sb.settle();
  const [waiting, resumed] = await backfillRecords(sb);
  const key = (r: BackfillRecord) => sb.host.kvs.keys('backfill:').find((k) => k.endsWith(r.repository.replace(/[{}]/g, '').toLowerCase()))!;
  // One said "an hour" twenty minutes ago, waiting for the budget.
  await sb.host.kvs.set(key(waiting!), { ...waiting!, state: 'running', cursor: { phase: 'lifecycle' }, etaSeconds: 3600, updatedAt: Date.now() - 20 * 60_000 });
  // Another said "ten minutes" two days ago, then was deselected; selected again now, its first piece is yet to come.
  await sb.host.kvs.set(key(resumed!), { ...resumed!, state: 'cancelled', cursor: { phase: 'lifecycle' }, etaSeconds: 600, updatedAt: Date.now() - 2 * 86_400_000 });
  sb.host.loseEvents((body) => (body.backfill as { repository?: string } | undefined)?.repository === resumed!.repository);
  data(await call('repositories/select', { scope: 'repositories', repositories: [resumed!.repository], selected: false }));
  expect(data(await call('repositories/select', { scope: 'repositories', repositories: [resumed!.repository], selected: true })).backfill.requested).toBe(1);

  const rows = new Map(data(await call('status/get')).backfill.active.map((row) => [row.repository, row]));
  expect(rows.get(waiting!.repository)!.etaSeconds).toBeGreaterThan(2300);
  expect(rows.get(waiting!.repository)!.etaSeconds).toBeLessThanOrEqual(2400);
  expect(rows.get(resumed!.repository)).toMatchObject({ state: 'queued' });
  expect(rows.get(resumed!.repository)!.etaSeconds).toBeUndefined();
  const listed = new Map(data(await call('repositories/list', {})).items.map((item) => [item.uuid, item.backfill?.etaSeconds]));
  expect(listed.get(waiting!.repository)).toBeLessThanOrEqual(2400);
  expect(listed.get(resumed!.repository)).toBeUndefined();
}, 60_000);
