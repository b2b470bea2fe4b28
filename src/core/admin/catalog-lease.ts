import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AdminContext } from './context';
import { AdminActionError } from './errors';

// One walk of the repository list at a time. In a workspace of thousands of repositories the walk
// takes many seconds, and the page asks for the list from several resolvers at once (status,
// repositories): without this each would walk it, doubling Bitbucket requests and the time.
// Within one runtime the callers share the walk's promise; across invocations a short lease in the
// store tells the others one is under way (best effort: two that look at the same moment may both walk).

const LEASE_KEY = 'catalog:refreshing';
/** Longer than a walk may run in one resolver call (25 s): a lease left by a call Forge stopped lapses by itself. */
const LEASE_SECONDS = 30;
/** How long a caller with no copy at all waits for another's walk, inside its own 25 s. */
const WAIT_MS = 15_000;
const POLL_MS = 250;
/** Left of a caller's own time after waiting: enough for a step of its own and its answer. */
const WAIT_MARGIN_MS = 6000;

const Lease = z.object({ by: z.string(), until: z.number() });
const walking = new Map<string, Promise<unknown>>();

/**
 * A caller that must answer soon (the status, which the whole page waits for) and can do without the
 * list: how long it waits for a walk under way in this runtime, and what it answers instead.
 */
export interface Hurry<T> {
  patienceMs: number;
  meanwhile: () => Promise<T>;
}

/**
 * Runs `walk` unless one is under way. Then a caller with an older copy (`stale`) gets it at once; a
 * caller with none waits for the walk's result (`newer` reads the store for it), or for the other
 * walk to stop, and then walks on itself (a walk of the repository list goes in steps: catalog-walk.ts);
 * one in a `hurry` waits only its patience, and never for a walk in another runtime.
 */
export async function sharedWalk<T>(ctx: AdminContext, walk: () => Promise<T>, stale: T | undefined, newer: () => Promise<T | undefined>, hurry?: Hurry<T>): Promise<T> {
  const here = walking.get(ctx.workspace) as Promise<T> | undefined;
  if (here) return stale ?? (hurry ? within(here, hurry) : here);
  if (hurry) {
    // Looked at before a run is registered: an answer without a walk is no run for others to share.
    if (await leased(ctx)) return stale ?? hurry.meanwhile();
    const since = walking.get(ctx.workspace) as Promise<T> | undefined;
    if (since) return stale ?? within(since, hurry);
  }
  // Registered before the first await, so callers in this runtime that arrive while the lease is
  // being read share this one.
  const run = (async (): Promise<T> => {
    if (await leased(ctx)) {
      if (stale !== undefined) return stale;
      if (hurry) return hurry.meanwhile();
      const found = await waitFor(ctx, newer);
      if (found !== undefined) return found;
    }
    const by = randomUUID();
    await ctx.store.set(LEASE_KEY, { by, until: ctx.clock.now() + LEASE_SECONDS * 1000 }, { ttlSeconds: LEASE_SECONDS });
    try {
      return await walk();
    } finally {
      const lease = Lease.safeParse(await ctx.store.get(LEASE_KEY));
      if (lease.success && lease.data.by === by) await ctx.store.delete(LEASE_KEY);
    }
  })();
  walking.set(ctx.workspace, run);
  try {
    return await run;
  } finally {
    if (walking.get(ctx.workspace) === run) walking.delete(ctx.workspace);
  }
}

async function within<T>(walk: Promise<T>, hurry: Hurry<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const impatient = new Promise<'impatient'>((resolve) => (timer = setTimeout(() => resolve('impatient'), hurry.patienceMs)));
  try {
    const first = await Promise.race([walk, impatient]);
    return first === 'impatient' ? await hurry.meanwhile() : first;
  } finally {
    clearTimeout(timer);
  }
}

async function leased(ctx: AdminContext): Promise<boolean> {
  const lease = Lease.safeParse(await ctx.store.get(LEASE_KEY));
  return lease.success && lease.data.until > ctx.clock.now();
}

/** What the other walk gave, or undefined once it has stopped (a step ended, a call cut off): then walk on from there. */
async function waitFor<T>(ctx: AdminContext, newer: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Math.min(ctx.clock.now() + WAIT_MS, (ctx.deadline ?? Infinity) - WAIT_MARGIN_MS);
  while (ctx.clock.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const found = await newer();
    if (found !== undefined) return found;
    if (!(await leased(ctx))) return undefined;
  }
  throw new AdminActionError('unavailable', 'The repository list is being read from Bitbucket, which takes a while in a large workspace. Reload the page in a minute.');
}
