import { z } from 'zod';
import { chunkedList } from '../chunked-list';
import { Page } from '../enrich/cloud/schema';
import { BitbucketError } from '../errors';
import { sharedWalk } from './catalog-lease';
import { keyPart } from '../keys';
import type { AdminContext } from './context';

// The workspace's repositories as the settings page lists them: read from Bitbucket 100 at a time,
// with only the fields the page shows, and kept in the key-value store so paging and searching through
// thousands of them costs a handful of store reads, not a Bitbucket walk per click. The copy is read
// again after a few minutes, but kept for days: when Bitbucket refuses a new read (429, 5xx), the
// status can still count from the last one.

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
}

/** Read from Bitbucket again once the copy is this old. */
const FRESH_MS = 10 * 60_000;
/** How long the last copy stays to fall back on. */
const KEEP_SECONDS = 7 * 86_400;
/** 500 compact entries stay far below Forge's 240 KiB per value. */
const CHUNK = 500;
/** 200 pages of 100: more than any workspace the page is meant for, and a bound on one call's requests. */
const MAX_PAGES = 200;
const FIELDS = 'size,next,values.uuid,values.slug,values.name,values.project.key,values.project.name';
/** Pages read at once once the first page has told how many there are: a resolver has 25 s in all. */
const PARALLEL_PAGES = 4;

const ApiRepository = z.object({
  uuid: z.string(),
  slug: z.string(),
  name: z.string(),
  project: z.object({ key: z.string(), name: z.string() }).nullish(),
});

const Entry = z.tuple([z.string(), z.string(), z.string(), z.string()]);
const Meta = z.object({ projects: z.array(z.tuple([z.string(), z.string()])) });
const stored = (ctx: AdminContext) => chunkedList(ctx.store, 'catalog', { item: Entry, meta: Meta }, { ttlSeconds: KEEP_SECONDS, chunkSize: CHUNK, dropPrevious: true });

export async function loadCatalog(ctx: AdminContext, options: { refresh?: boolean } = {}): Promise<Catalog> {
  const cached = await readStored(ctx);
  if (cached && !options.refresh && ctx.clock.now() - cached.fetchedAt < FRESH_MS) return cached;
  // While another caller reads the list again, an older copy will do, unless the admin asked for a new one.
  const since = options.refresh ? ctx.clock.now() : (cached?.fetchedAt ?? 0);
  const newer = async () => {
    const found = await readStored(ctx);
    return found && found.fetchedAt > since ? found : undefined;
  };
  return sharedWalk(ctx, () => fetchCatalog(ctx), options.refresh ? undefined : cached, newer);
}

/**
 * For a view that can do with an older list: when Bitbucket fails to give a new one, the last copy
 * (if any is kept) and the error, to be explained beside what it shows.
 */
export async function loadCatalogOrStale(ctx: AdminContext): Promise<{ catalog?: Catalog; error?: BitbucketError }> {
  try {
    return { catalog: await loadCatalog(ctx) };
  } catch (error) {
    if (!(error instanceof BitbucketError)) throw error;
    ctx.log.warn({ error: error.message }, 'repository list not read again: using the last copy');
    const stale = await readStored(ctx);
    return { ...(stale ? { catalog: stale } : {}), error };
  }
}

async function readStored(ctx: AdminContext): Promise<Catalog | undefined> {
  const cached = await stored(ctx).read();
  return cached && catalog(cached.at, cached.items.map(([uuid, slug, name, projectKey]) => ({ uuid, slug, name, projectKey })), new Map(cached.meta.projects));
}

async function fetchCatalog(ctx: AdminContext): Promise<Catalog> {
  const repositories: CatalogRepository[] = [];
  const projects = new Map<string, string>();
  for (const repo of await readRepositories(ctx)) {
    const projectKey = repo.project?.key ?? '';
    projects.set(projectKey, repo.project?.name ?? 'No project');
    repositories.push({ uuid: repo.uuid, slug: repo.slug, name: repo.name, projectKey });
  }
  const fetchedAt = ctx.clock.now();
  const sorted = sortByProject(repositories, projects);
  await stored(ctx).write(fetchedAt, sorted.map((r): z.infer<typeof Entry> => [r.uuid, r.slug, r.name, r.projectKey]), { projects: [...projects] });
  return catalog(fetchedAt, sorted, projects);
}

const ListPage = Page(ApiRepository).extend({ size: z.number().int().optional() });

/**
 * Every repository of the workspace. The first page says how many there are; the others are then
 * read a few at a time by number, so thousands of repositories fit in one resolver call. Without a
 * count, the `next` links are followed one by one.
 */
async function readRepositories(ctx: AdminContext): Promise<Array<z.infer<typeof ApiRepository>>> {
  const request = { endpoint: 'repositories' as const, params: { workspace: ctx.workspace }, query: { pagelen: 100, fields: FIELDS } };
  const first = await ctx.bitbucket.get(request, ListPage);
  if (!first.next) return first.values;
  if (first.size === undefined) {
    const rest: Array<z.infer<typeof ApiRepository>> = [];
    for await (const page of ctx.bitbucket.pages({ next: first.next }, ApiRepository, MAX_PAGES - 1)) rest.push(...page);
    return [...first.values, ...rest];
  }
  const count = Math.min(MAX_PAGES, Math.ceil(first.size / 100));
  const pages = [first.values];
  for (let start = 2; start <= count; start += PARALLEL_PAGES) {
    const numbers = Array.from({ length: Math.min(PARALLEL_PAGES, count - start + 1) }, (_, i) => start + i);
    const read = await Promise.all(numbers.map((page) => ctx.bitbucket.get({ ...request, query: { ...request.query, page } }, ListPage)));
    pages.push(...read.map((page) => page.values));
  }
  // A repository made or removed during the walk shifts the pages by one: each is listed once.
  const seen = new Set<string>();
  return pages.flat().filter((repo) => !seen.has(repo.uuid) && seen.add(repo.uuid));
}

/** Grouped by project (by name), then by repository name: the order the page shows. */
function sortByProject(repositories: CatalogRepository[], projects: Map<string, string>): CatalogRepository[] {
  const name = (r: CatalogRepository) => `${(projects.get(r.projectKey) ?? '').toLowerCase()}\u0000${r.projectKey}\u0000${r.name.toLowerCase()}`;
  return repositories.map((r) => [name(r), r] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}

function catalog(fetchedAt: number, repositories: CatalogRepository[], projects: Map<string, string>): Catalog {
  return { fetchedAt, repositories, projects, byKey: new Map(repositories.map((r) => [keyPart(r.uuid), r])) };
}
