import { expectedBackfill } from './backfill-expectations';
import { backfillEnded, backfillRecords, backfillSandbox, missing } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, loadAll, settingsCaller } from './settings-helpers';

// The backfill reads the repository objects of the repositories waiting for it in one listing: one
// listed there in an unexpected shape must not cost the others their backfill. The others come from
// the listing; that one is read on its own.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterEach(() => sb.stop());

/** Activates, waits for the backfill, and expects every repository done with nothing left out or missing. */
async function activatedAndComplete(repositories: Array<{ uuid: string }>): Promise<void> {
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const records = await backfillRecords(sb);
  expect(records.map((record) => [record.state, record.skipped])).toEqual(repositories.map(() => ['done', []]));
  const since = Math.min(...records.map((record) => Date.parse(record.since)));
  expect(missing(sb, expectedBackfill(sb.simulator, [...sb.simulator.model.repositories.values()], since).ids)).toEqual([]);
}

it('backfills every repository when the listing of their objects holds one in an unexpected shape', async () => {
  sb = await backfillSandbox({ seed: 'backfill-bad-repository-object', repositories: 3, pullRequestsPerRepository: 3 });
  const repositories = [...sb.simulator.model.repositories.values()];
  // Only that listing reads full_name: the settings page's and the reconciliation's do not ask for it.
  sb.simulator.faults.add({ method: 'GET', path: '^/2\\.0/repositories/[^/]+$', corruptItem: { where: { uuid: repositories[0]!.uuid }, set: { full_name: 17 } } });
  await activatedAndComplete(repositories);
}, 120_000);

it('keeps the repository objects of a listing that holds one the store will not cache', async () => {
  sb = await backfillSandbox({ seed: 'backfill-bad-repository-object', repositories: 3, pullRequestsPerRepository: 1 });
  const repositories = [...sb.simulator.model.repositories.values()];
  sb.simulator.faults.add({ method: 'GET', path: '^/2\\.0/repositories/[^/]+$', corruptItem: { where: { uuid: repositories[0]!.uuid }, set: { description: 'x'.repeat(300_000) } } });
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  expect((await backfillRecords(sb)).map((record) => [record.state, record.skipped])).toEqual(repositories.map(() => ['done', []]));
  // Before, the refused cache write was taken for a failed read of the listing.
  expect(sb.logs.filter((line) => /could not read repository objects in one request/.test(line.message)).map((line) => line.message)).toEqual([]);
}, 120_000);

it('backfills every repository when the one-request read of their objects keeps failing, reading each on its own', async () => {
  sb = await backfillSandbox({ seed: 'backfill-bad-repository-object', repositories: 3, pullRequestsPerRepository: 2 });
  const repositories = [...sb.simulator.model.repositories.values()];
  // The page's list is read (and kept) first; from then on the workspace's listing answers 500.
  await loadAll(call, { refresh: true });
  sb.simulator.faults.add({ method: 'GET', path: '^/2\\.0/repositories/[^/]+$', status: 500 });
  await activatedAndComplete(repositories);
  expect(sb.logs.some((line) => line.message.includes('could not read repository objects in one request; reading them one by one'))).toBe(true);
}, 120_000);
