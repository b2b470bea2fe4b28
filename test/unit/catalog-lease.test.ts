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

// Across runtimes (two resolver calls on different Forge instances) a short lease in the store says a
// walk is under way: the others take what they can instead of walking the list again.

const LEASE_KEY = 'catalog:refreshing';

function elsewhere(options: { deadline?: number } = {}) {
  const store = new MemoryStore();
  const ctx = { store, clock: { now: () => Date.now() }, workspace: `{w-${Math.random()}}`, ...options } as unknown as AdminContext;
  let walks = 0;
  const walk = async () => {
    walks++;
    return 'walked here';
  };
  return { store, ctx, walk, walks: () => walks, leaseHeld: () => store.set(LEASE_KEY, { by: 'another runtime', until: Date.now() + 30_000 }) };
}

it('while another runtime walks, a caller with an older copy gets it at once, and one in a hurry its stand-in', async () => {
  const { ctx, walk, walks, leaseHeld } = elsewhere();
  await leaseHeld();
  expect(await sharedWalk(ctx, walk, 'older copy', async () => undefined)).toBe('older copy');
  expect(await sharedWalk(ctx, walk, undefined, async () => undefined, { patienceMs: 5_000, meanwhile: async () => 'stand-in' })).toBe('stand-in');
  expect(walks()).toBe(0);
});

it('a caller with no copy waits for the other runtime’s walk and takes its result', async () => {
  const { ctx, walk, walks, leaseHeld } = elsewhere();
  await leaseHeld();
  let looks = 0;
  expect(await sharedWalk(ctx, walk, undefined, async () => (++looks >= 2 ? 'walked there' : undefined))).toBe('walked there');
  expect(walks()).toBe(0);
});

it('walks on itself once the other runtime’s walk stops without a result (its lease gone), and leaves no lease behind', async () => {
  const { store, ctx, walk, walks, leaseHeld } = elsewhere();
  await leaseHeld();
  let looks = 0;
  const newer = async () => {
    if (++looks === 2) await store.delete(LEASE_KEY);
    return undefined;
  };
  expect(await sharedWalk(ctx, walk, undefined, newer)).toBe('walked here');
  expect(walks()).toBe(1);
  expect(await store.get(LEASE_KEY)).toBeUndefined();
});

it('tells the admin to reload in a minute when the other walk outlasts what the call may wait', async () => {
  // Enough of the call's own time for one look, no more (six seconds are kept for its own answer).
  const { ctx, walk, walks, leaseHeld } = elsewhere({ deadline: Date.now() + 6_000 + 400 });
  await leaseHeld();
  await expect(sharedWalk(ctx, walk, undefined, async () => undefined)).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/Reload the page in a minute/) });
  expect(walks()).toBe(0);
});
