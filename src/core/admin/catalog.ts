import { z } from 'zod';
import { keyPart } from '../keys';
import type { AdminContext } from './context';

// The workspace's repositories as the settings page lists them: read from Bitbucket 100 at a time,
// with only the fields the page shows, and kept in the key-value store for a few minutes so paging and
// searching through thousands of them costs a handful of store reads, not a Bitbucket walk per click.

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

const TTL_SECONDS = 10 * 60;
/** 500 compact entries stay far below Forge's 240 KiB per value. */
const CHUNK = 500;
/** 200 pages of 100: more than any workspace the page is meant for, and a bound on one call's requests. */
const MAX_PAGES = 200;
const FIELDS = 'next,values.uuid,values.slug,values.name,values.project.key,values.project.name';

const ApiRepository = z.object({
  uuid: z.string(),
  slug: z.string(),
  name: z.string(),
  project: z.object({ key: z.string(), name: z.string() }).nullish(),
});

const Entry = z.tuple([z.string(), z.string(), z.string(), z.string()]);
const Meta = z.object({ fetchedAt: z.number(), chunks: z.number().int(), projects: z.array(z.tuple([z.string(), z.string()])) });

const META_KEY = 'catalog:meta';
// Chunks carry their fetch time, so a reader never mixes two generations of the list.
const chunkKey = (fetchedAt: number, index: number) => `catalog:${fetchedAt}:${index}`;

export async function loadCatalog(ctx: AdminContext, options: { refresh?: boolean } = {}): Promise<Catalog> {
  if (!options.refresh) {
    const cached = await readCached(ctx);
    if (cached) return cached;
  }
  return fetchCatalog(ctx);
}

async function readCached(ctx: AdminContext): Promise<Catalog | undefined> {
  const meta = Meta.safeParse(await ctx.store.get(META_KEY));
  if (!meta.success) return undefined;
  const chunks = await Promise.all(Array.from({ length: meta.data.chunks }, (_, i) => ctx.store.get(chunkKey(meta.data.fetchedAt, i))));
  if (chunks.some((chunk) => chunk === undefined)) return undefined;
  const entries = chunks.flatMap((chunk) => z.array(Entry).parse(chunk));
  return catalog(meta.data.fetchedAt, entries.map(([uuid, slug, name, projectKey]) => ({ uuid, slug, name, projectKey })), new Map(meta.data.projects));
}

async function fetchCatalog(ctx: AdminContext): Promise<Catalog> {
  const repositories: CatalogRepository[] = [];
  const projects = new Map<string, string>();
  const request = { endpoint: 'repositories' as const, params: { workspace: ctx.workspace }, query: { pagelen: 100, fields: FIELDS } };
  for await (const page of ctx.bitbucket.pages(request, ApiRepository, MAX_PAGES)) {
    for (const repo of page) {
      const projectKey = repo.project?.key ?? '';
      projects.set(projectKey, repo.project?.name ?? 'No project');
      repositories.push({ uuid: repo.uuid, slug: repo.slug, name: repo.name, projectKey });
    }
  }
  const fetchedAt = ctx.clock.now();
  const sorted = sortByProject(repositories, projects);
  const chunks = Math.ceil(sorted.length / CHUNK);
  await Promise.all(
    Array.from({ length: chunks }, (_, i) =>
      ctx.store.set(chunkKey(fetchedAt, i), sorted.slice(i * CHUNK, (i + 1) * CHUNK).map((r) => [r.uuid, r.slug, r.name, r.projectKey]), { ttlSeconds: TTL_SECONDS }),
    ),
  );
  await ctx.store.set(META_KEY, { fetchedAt, chunks, projects: [...projects] }, { ttlSeconds: TTL_SECONDS });
  return catalog(fetchedAt, sorted, projects);
}

/** Grouped by project (by name), then by repository name: the order the page shows. */
function sortByProject(repositories: CatalogRepository[], projects: Map<string, string>): CatalogRepository[] {
  const name = (r: CatalogRepository) => `${(projects.get(r.projectKey) ?? '').toLowerCase()}\u0000${r.projectKey}\u0000${r.name.toLowerCase()}`;
  return repositories.map((r) => [name(r), r] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}

function catalog(fetchedAt: number, repositories: CatalogRepository[], projects: Map<string, string>): Catalog {
  return { fetchedAt, repositories, projects, byKey: new Map(repositories.map((r) => [keyPart(r.uuid), r])) };
}
