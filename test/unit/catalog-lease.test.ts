import type { AdminContext } from '../../src/core/admin/context';
import { sharedWalk } from '../../src/core/admin/catalog-lease';
import { MemoryStore } from '../../src/sandbox/memory-store';

// Callers in one runtime that ask for the repository list at the same moment share one walk of it.

it('walks once for callers that arrive together, before any of them has read the lease', async () => {
  const store = new MemoryStore();
  const ctx = { store, clock: { now: () => Date.now() }, workspace: '{w}' } as unknown as AdminContext;
  let walks = 0;
  const walk = async () => {
    walks++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return 'list';
  };
  const answers = await Promise.all([1, 2, 3].map(() => sharedWalk(ctx, walk, undefined, async () => undefined)));
  expect(answers).toEqual(['list', 'list', 'list']);
  expect(walks).toBe(1);
});
