import { z } from 'zod';
import { chunkedList } from '../chunked-list';
import type { RepositoryPage } from '../../contract/repositories';
import { BitbucketError } from '../errors';
import { keyPart } from '../keys';
import { sharedWalk } from './catalog-lease';
import { currentWalk, END_MARGIN_MS, LISTED_AT_MOST, ListCut, stepWalk, type WalkState } from './catalog-walk';
import { grouped } from '../words';
import type { AdminContext } from './context';
import { AdminActionError } from './errors';

// The workspace's repositories as the settings page lists them: read from Bitbucket 100 at a time,
// with only the fields the page shows (in steps when that takes longer than a call: catalog-walk.ts),
// and kept in the key-value store so paging and searching through thousands of them costs a handful
// of store reads, not a Bitbucket walk per click. The copy is read again after a few minutes, but kept
// for days: when Bitbucket refuses a new read (429, 5xx), the status can still count from the last one.

export interface CatalogRepository {
  uuid: string;
  slug: string;
  name: string;
  projectKey: string;
}

export interface Catalog {
  fetchedAt: number;
  repositories: CatalogRepository[];
  projects: Map<string, string>;
  /** `keyPart(uuid)` → repository, as selection marks and store keys spell a UUID. */
  byKey: Map<string, CatalogRepository>;
  /** Repositories Bitbucket listed in an unexpected shape, left out: why, and what to do (catalog-walk.ts). */
  unlisted?: string[];
  /** The list stopped at its cap with repositories left (catalog-walk.ts); `listCutMessage` says what that means. */
  cut?: ListCut;
}

/** Read from Bitbucket again once the copy is this old. */
const FRESH_MS = 10 * 60_000;
/** How long the last copy stays to fall back on. */
const KEEP_SECONDS = 7 * 86_400;
/** 500 compact entries stay far below Forge's 240 KiB per value. */
const CHUNK = 500;

const Entry = z.tuple([z.string(), z.string(), z.string(), z.string()]);
const Meta = z.object({ projects: z.array(z.tuple([z.string(), z.string()])), unlisted: z.array(z.string()).optional(), cut: ListCut.optional() });
const stored = (ctx: Pick<AdminContext, 'store'>) => chunkedList(ctx.store, 'catalog', { item: Entry, meta: Meta }, { ttlSeconds: KEEP_SECONDS, chunkSize: CHUNK, dropPrevious: true });

/** How far a reading of the list from Bitbucket has come, when it takes more than one call. */
export type ListingProgress = NonNullable<RepositoryPage['loading']>;

/** The last whole copy of the list (when one is kept), and how far a reading of a newer one has come. */
export interface Listing {
  catalog?: Catalog;
  loading?: ListingProgress;
}

/**
 * The list, read again from Bitbucket when the copy is old (or `refresh`), as far as this call's time
 * allows. `continuing`: the caller goes on with a reading it was told is under way, so it waits its
 * turn rather than taking the older copy at once.
 */
export async function readListing(ctx: AdminContext, options: { refresh?: boolean; continuing?: boolean; hurry?: boolean } = {}): Promise<Listing> {
  const cached = await readStored(ctx);
  // A reading the admin asked for (Refresh list) goes on to its end even though the copy is fresh.
  if (cached && !options.refresh && ctx.clock.now() - cached.fetchedAt < FRESH_MS && !(options.continuing && (await currentWalk(ctx)))) return { catalog: cached };
  // While another caller reads the list again, an older copy will do, unless the admin asked for a
  // new one or is following the reading.
  const since = options.refresh ? ctx.clock.now() : (cached?.fetchedAt ?? 0);
  const newer = async (): Promise<Listing | undefined> => {
    const found = await readStored(ctx);
    return found && found.fetchedAt > since ? { catalog: found } : undefined;
  };
  const stale = options.refresh || options.continuing || !cached ? undefined : await withProgress(ctx, cached);
  const hurry = options.hurry ? { patienceMs: GLANCE_MS, meanwhile: () => withProgress(ctx, cached) } : undefined;
  return sharedWalk(ctx, () => step(ctx, cached, options.refresh), stale, newer, hurry);
}

/** A whole list, new or old; when there is none yet, why, and what the admin can do. */
export async function loadCatalog(ctx: AdminContext, options: { refresh?: boolean } = {}): Promise<Catalog> {
  const listing = await readListing(ctx, options);
  if (listing.catalog) return listing.catalog;
  const { loaded, total } = listing.loading!;
  throw new AdminActionError(
    'unavailable',
    `The repository list is still being read from Bitbucket (${loaded.toLocaleString('en')}${total !== undefined ? ` of ${total.toLocaleString('en')}` : ''} so far). Wait until Repositories on this page has it all, then try again.`,
  );
}

/** How long the status looks at the list: it reads the first page, or waits for another's step, no longer. */
const GLANCE_MS = 2000;

/**
 * For the status, which the whole page waits for: a short look at the list. The kept copy when it is
 * fresh or another caller is reading a new one; otherwise a step of reading with time for the first
 * page alone unless Bitbucket answers fast (a small workspace's list is then whole): the Repositories
 * panel reads on in its own steps. When Bitbucket fails to give a new one, the last copy (if any is
 * kept) and the error, to be explained beside what it shows.
 */
export async function loadCatalogOrStale(ctx: AdminContext): Promise<Listing & { error?: BitbucketError }> {
  try {
    const glance = { ...ctx, deadline: Math.min(ctx.deadline ?? Infinity, ctx.clock.now() + GLANCE_MS + END_MARGIN_MS) };
    return await readListing(glance, { hurry: true });
  } catch (error) {
    if (!(error instanceof BitbucketError)) throw error;
    ctx.log.warn({ error: error.message }, 'repository list not read again: using the last copy');
    const stale = await readStored(ctx);
    return { ...(stale ? { catalog: stale } : {}), error };
  }
}

/** The last whole copy kept, if any: store reads only, never Bitbucket. */
export async function readStored(ctx: Pick<AdminContext, 'store'>): Promise<Catalog | undefined> {
  const cached = await stored(ctx).read();
  return cached && catalog(cached.at, cached.items.map(([uuid, slug, name, projectKey]) => ({ uuid, slug, name, projectKey })), new Map(cached.meta.projects), cached.meta.unlisted, cached.meta.cut);
}

async function withProgress(ctx: AdminContext, cached: Catalog | undefined): Promise<Listing> {
  const walk = await currentWalk(ctx);
  return { ...(cached ? { catalog: cached } : {}), ...(walk ? { loading: progress(walk) } : {}) };
}

function progress(walk: WalkState): ListingProgress {
  return { cursor: { walk: walk.id, page: walk.read + 1 }, loaded: walk.loaded, ...(walk.size !== undefined ? { total: walk.size } : {}) };
}

/** One step of the reading; the last one stores the whole list. */
async function step(ctx: AdminContext, cached: Catalog | undefined, fresh?: boolean): Promise<Listing> {
  const result = await stepWalk(ctx, { fresh });
  if (!result.done) return { ...(cached ? { catalog: cached } : {}), loading: progress(result.state) };
  const projects = new Map<string, string>();
  const repositories = result.entries.map(([uuid, slug, name, projectKey, projectName]): CatalogRepository => {
    projects.set(projectKey, projectName);
    return { uuid, slug, name, projectKey };
  });
  const fetchedAt = ctx.clock.now();
  const sorted = sortByProject(repositories, projects);
  await stored(ctx).write(fetchedAt, sorted.map((r): z.infer<typeof Entry> => [r.uuid, r.slug, r.name, r.projectKey]), { projects: [...projects], unlisted: result.unlisted, ...(result.cut ? { cut: result.cut } : {}) });
  return { catalog: catalog(fetchedAt, sorted, projects, result.unlisted, result.cut) };
}

/** Grouped by project (by name), then by repository name: the order the page shows. */
function sortByProject(repositories: CatalogRepository[], projects: Map<string, string>): CatalogRepository[] {
  const name = (r: CatalogRepository) => `${(projects.get(r.projectKey) ?? '').toLowerCase()}\u0000${r.projectKey}\u0000${r.name.toLowerCase()}`;
  return repositories.map((r) => [name(r), r] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}

function catalog(fetchedAt: number, repositories: CatalogRepository[], projects: Map<string, string>, unlisted: string[] = [], cut?: ListCut): Catalog {
  return { fetchedAt, repositories, projects, byKey: new Map(repositories.map((r) => [keyPart(r.uuid), r])), unlisted, ...(cut ? { cut } : {}) };
}

/**
 * What a list stopped at its cap means to the admin. Selecting is by the list (one by one, by project),
 * and so are the backfill and the reconciliation's index (its own cap is the same 200 pages): the
 * repositories past it are forwarded only as "every repository", from their live events.
 */
export function listCutMessage(cut: ListCut): string {
  const others = cut.total !== undefined ? `Bitbucket counts ${grouped(cut.total)} repositories in this workspace; the app lists the first ${grouped(LISTED_AT_MOST)}, in Bitbucket's order, and the other ${grouped(cut.total - LISTED_AT_MOST)}` : `This workspace has more than ${grouped(LISTED_AT_MOST)} repositories; the app lists the first ${grouped(LISTED_AT_MOST)}, in Bitbucket's order, and the others`;
  return `${others} are not listed here: they cannot be selected one by one or by project, and they are neither backfilled nor reconciled. While every repository is selected (Select all), their live events are still forwarded. Reconciling this many repositories needs far more requests than Bitbucket allows an app in an hour: select the repositories PanDev should measure.`;
}
