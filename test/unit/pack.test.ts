import { packBySize } from '../../src/core/pack';

// The one packing the Forge queue's push requests (50 events, 200 KB) and the backfill's stored commit
// chunks (240 KiB a value) share.

const sized = (bytes: number[]) => bytes.map((size, i) => ({ item: i, bytes: size }));

it('packs consecutive items up to the byte limit, in order', () => {
  expect(packBySize(sized([40, 40, 30, 50, 10]), 100)).toEqual([[0, 1], [2, 3, 4]]);
});

it('starts a group at the count limit too', () => {
  expect(packBySize(sized([1, 1, 1, 1, 1]), 100, 2)).toEqual([[0, 1], [2, 3], [4]]);
});

it('gives an item over the limit on its own a group of one, and none to no items', () => {
  expect(packBySize(sized([10, 500, 10]), 100)).toEqual([[0], [1], [2]]);
  expect(packBySize([], 100)).toEqual([]);
});
