import { othersCarried, recordCarried, updateCarried } from '../../src/core/backfill/carried';
import { cancelBackfill, requestBackfill, type BackfillRecord } from '../../src/core/backfill/state';
import { MemoryStore } from '../../src/sandbox/memory-store';

// What each carried record has left, for the others' time left: written whole by a start of chains,
// then kept current by each piece for its own repository.

const record = (repository: string, requestsLeft?: number) => ({ repository, ...(requestsLeft !== undefined ? { requestsLeft } : {}) }) as BackfillRecord;

it('lists the others\' requests left, one not yet started at the prior for a repository', async () => {
  const store = new MemoryStore();
  expect(await othersCarried(store, '{a}')).toEqual([]);
  await recordCarried(store, [record('{A}', 40), record('{b}', 12), record('{c}')], 1);
  expect(await othersCarried(store, '{a}')).toEqual([12, 15]);
  expect((await othersCarried(store, '{c}')).sort()).toEqual([12, 40]);
});

it('sets a piece\'s own figure, adds a record taken on since, and takes out one that is done', async () => {
  const store = new MemoryStore();
  await recordCarried(store, [record('{a}', 40), record('{b}', 12)], 1);
  await updateCarried(store, '{A}', 25);
  expect(await othersCarried(store, '{b}')).toEqual([25]);
  await updateCarried(store, '{d}', 30);
  expect((await othersCarried(store, '{b}')).sort()).toEqual([25, 30]);
  await updateCarried(store, '{a}', undefined);
  expect(await othersCarried(store, '{b}')).toEqual([30]);
});

it('writes nothing to take out a record it does not list', async () => {
  const store = new MemoryStore();
  await updateCarried(store, '{a}', undefined);
  expect(await store.get('backfill-carried')).toBeUndefined();
  await recordCarried(store, [record('{b}', 12)], 1);
  const set = jest.spyOn(store, 'set');
  await updateCarried(store, '{a}', undefined);
  expect(set).not.toHaveBeenCalled();
});

it('takes out the repositories deselected on the page at once, not at the next start of chains', async () => {
  const store = new MemoryStore();
  const records = await requestBackfill(store, [{ uuid: '{a}' }, { uuid: '{b}' }, { uuid: '{c}' }], { windowDays: 30, now: 1 });
  await recordCarried(store, records, 1);
  expect(await othersCarried(store, '{c}')).toEqual([15, 15]);
  await cancelBackfill(store, ['{a}', '{b}'], 2);
  expect(await othersCarried(store, '{c}')).toEqual([]);
});
