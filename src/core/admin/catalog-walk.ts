import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { checkedItems, named } from '../enrich/checked-items';
import { Page } from '../enrich/cloud/schema';
import { timeLeft } from '../pipeline/time-left';
import { mapLimit, type AdminContext } from './context';

// Reading the workspace's repository list from Bitbucket, in steps. A workspace of many thousands of
// repositories behind a slow Bitbucket takes longer than one resolver call has (25 s), so a step reads
// as many pages as still fit in its call, keeps them in the store and records where it stopped; the
// next step (the page asking again, or any other caller) goes on from there, and the last one hands
// the whole list over. One walk per workspace, shared by whoever steps it (catalog-lease.ts).

const WALK_KEY = 'catalog:walk';
const pageKey = (walk: string, page: number) => `catalog:walk:${walk}:${page}`;
/** A walk left half-way (the page closed) is taken up again for this long; its pages expire with it. */
const WALK_SECONDS = 30 * 60;
/** 200 pages of 100: more than any workspace the page is meant for, and a bound on one walk's requests. */
const MAX_PAGES = 200;
const PAGELEN = 100;
/** The most repositories one walk lists; a workspace with more is told so (`ListCut`). */
export const LISTED_AT_MOST = MAX_PAGES * PAGELEN;
const FIELDS = 'size,next,values.uuid,values.slug,values.name,values.project.key,values.project.name';
/** Pages read at once once the first page has told how many there are. */
const PARALLEL_PAGES = 4;
/** What a call needs after its last page: the list put together and stored, and its own answer. */
export const END_MARGIN_MS = 4000;

const ApiRepository = z.object({
  uuid: z.string(),
  slug: z.string(),
  name: z.string(),
  project: z.object({ key: z.string(), name: z.string() }).nullish(),
});
// Items checked one by one (checked-items.ts): one repository in an unexpected shape parsed with its
// page failed the whole walk, and the settings page could list no repository at all.
const ListPage = Page(z.unknown()).extend({ size: z.number().int().optional() });

/** uuid, slug, name, project key, project name: a page of 100 stays far below Forge's 240 KiB a value. */
const Entry = z.tuple([z.string(), z.string(), z.string(), z.string(), z.string()]);
export type WalkEntry = z.infer<typeof Entry>;
/** A page as kept: the repositories read, and why each one that would not parse was left out. */
const KeptPage = z.object({ entries: z.array(Entry), unlisted: z.array(z.string()) });
type KeptPage = z.infer<typeof KeptPage>;

const WalkState = z.object({
  id: z.string(),
  startedAt: z.number(),
  /** Pages read and kept so far, from the first. */
  read: z.number().int().min(1),
  loaded: z.number().int().min(0),
  /** Bitbucket's count of repositories, and so of pages; without it `next` leads on a page at a time. */
  size: z.number().int().optional(),
  pages: z.number().int().optional(),
  next: z.string().optional(),
});
export type WalkState = z.infer<typeof WalkState>;

/** The walk stopped at its page cap with repositories left: Bitbucket's count of them all, when it gave one. */
export const ListCut = z.object({ total: z.number().int().optional() });
export type ListCut = z.infer<typeof ListCut>;

export type Step = { done: true; entries: WalkEntry[]; unlisted: string[]; cut?: ListCut } | { done: false; state: WalkState };

export async function currentWalk(ctx: AdminContext): Promise<WalkState | undefined> {
  const state = WalkState.safeParse(await ctx.store.get(WALK_KEY));
  return state.success && secondsLeft(ctx, state.data) > 0 ? state.data : undefined;
}

/** A walk's state and pages all expire when the walk does, so no state outlives a page it counts. */
function secondsLeft(ctx: AdminContext, state: WalkState): number {
  return Math.floor((state.startedAt + WALK_SECONDS * 1000 - ctx.clock.now()) / 1000);
}

/** Reads on where the stored walk stopped (a new walk when there is none, or when `fresh`), while the call's time allows. */
export async function stepWalk(ctx: AdminContext, options: { fresh?: boolean } = {}): Promise<Step> {
  let state = options.fresh ? undefined : await currentWalk(ctx);
  let estimate = 0;
  if (!state) {
    const began = ctx.clock.now();
    const first = await ctx.bitbucket.get(request(ctx), ListPage);
    estimate = ctx.clock.now() - began;
    const page = checked(ctx, first.values);
    state = {
      id: randomUUID(),
      startedAt: began,
      read: 1,
      loaded: page.entries.length,
      ...(first.size !== undefined ? { size: first.size, pages: Math.min(MAX_PAGES, Math.ceil(first.size / PAGELEN)) } : {}),
      ...(first.next ? { next: first.next } : {}),
    };
    await keep(ctx, state, [page]);
  }
  // Each round as slow as the slowest so far: the first page's time is the first guess.
  const time = timeLeft(ctx.clock, ctx.deadline, { margin: END_MARGIN_MS, estimate });
  while (!finished(state)) {
    const done = time.begin();
    if (!done) return { done: false, state };
    const values = await readRound(ctx, state);
    state = {
      ...state,
      read: state.read + values.pages.length,
      loaded: state.loaded + values.pages.reduce((n, page) => n + page.entries.length, 0),
      ...(values.next !== undefined ? { next: values.next } : {}),
    };
    if (values.next === undefined && state.pages === undefined) delete state.next;
    await keep(ctx, state, values.pages, state.read - values.pages.length + 1);
    done();
  }
  const gathered = await gather(ctx, state);
  // A page lost from the store (evicted early): the walk is read again from the start.
  if (!gathered) return stepWalk(ctx, { fresh: true });
  const cut = cutOf(state);
  if (cut) ctx.log.warn({ listed: gathered.entries.length, total: cut.total }, `the repository list stops at ${LISTED_AT_MOST} repositories: the rest of the workspace is not listed`);
  return { done: true, ...gathered, ...(cut ? { cut } : {}) };
}

/** Repositories left past the page cap: Bitbucket counts more than the cap, or (without a count) still names a next page. */
function cutOf(state: WalkState): ListCut | undefined {
  if (state.size !== undefined) return state.size > LISTED_AT_MOST ? { total: state.size } : undefined;
  return state.next && state.read >= MAX_PAGES ? {} : undefined;
}

function request(ctx: AdminContext, page?: number) {
  return { endpoint: 'repositories' as const, params: { workspace: ctx.workspace }, query: { pagelen: PAGELEN, fields: FIELDS, ...(page ? { page } : {}) } };
}

function finished(state: WalkState): boolean {
  return state.pages !== undefined ? state.read >= state.pages : !state.next || state.read >= MAX_PAGES;
}

/** The next pages: a few at once by number when Bitbucket gave a count, otherwise the one `next` names. */
async function readRound(ctx: AdminContext, state: WalkState): Promise<{ pages: KeptPage[]; next?: string }> {
  if (state.pages === undefined) {
    const page = await ctx.bitbucket.get({ next: state.next! }, ListPage);
    return { pages: [checked(ctx, page.values)], ...(page.next ? { next: page.next } : {}) };
  }
  const numbers = Array.from({ length: Math.min(PARALLEL_PAGES, state.pages - state.read) }, (_, i) => state.read + 1 + i);
  const read = await Promise.all(numbers.map((page) => ctx.bitbucket.get(request(ctx, page), ListPage)));
  return { pages: read.map((page) => checked(ctx, page.values)) };
}

/** A page's repositories that will do; each that will not is left out with why and what to do, and logged. */
function checked(ctx: AdminContext, values: unknown[]): KeptPage {
  const { items, malformed } = checkedItems(values, ApiRepository, named.repository);
  const unlisted = malformed.map(({ reason }) => `${reason}. It is left out of this list (it cannot be selected here) until Bitbucket lists it whole: report it to Atlassian support; the rest of the list works.`);
  for (const reason of unlisted) ctx.log.warn({ reason }, 'a repository was left out of the repository list: Bitbucket listed it in an unexpected shape');
  return { entries: items.map(entry), unlisted };
}

async function keep(ctx: AdminContext, state: WalkState, pages: KeptPage[], from = 1): Promise<void> {
  const ttl = { ttlSeconds: Math.max(1, secondsLeft(ctx, state)) };
  await Promise.all(pages.map((page, i) => ctx.store.set(pageKey(state.id, from + i), page, ttl)));
  // The state last: a step that stops between the two leaves pages no state counts, which are read again.
  await ctx.store.set(WALK_KEY, state, ttl);
}

function entry(repo: z.infer<typeof ApiRepository>): WalkEntry {
  return [repo.uuid, repo.slug, repo.name, repo.project?.key ?? '', repo.project?.name ?? 'No project'];
}

/** Every page the walk kept, each repository once: one made or removed during the walk shifts the pages by one. */
async function gather(ctx: AdminContext, state: WalkState): Promise<{ entries: WalkEntry[]; unlisted: string[] } | undefined> {
  const pages = await mapLimit(Array.from({ length: state.read }, (_, i) => i + 1), 10, async (page) => KeptPage.safeParse(await ctx.store.get(pageKey(state.id, page))));
  await ctx.store.delete(WALK_KEY);
  if (pages.some((page) => !page.success)) return undefined;
  const seen = new Set<string>();
  const entries = pages.flatMap((page) => page.data?.entries ?? []).filter(([uuid]) => !seen.has(uuid) && seen.add(uuid));
  // A repository shifted across two pages during the walk is named once.
  return { entries, unlisted: [...new Set(pages.flatMap((page) => page.data?.unlisted ?? []))] };
}
