import { z } from 'zod';
import { checkedItems, named } from '../enrich/checked-items';
import { chunkedList } from '../chunked-list';
import { keyPart } from '../keys';
import type { CloudClient } from '../enrich/cloud/client';
import type { SettingsStore } from '../config/settings';
import type { KeyValueStore, Logger } from '../ports';
import { CLOCK_ALLOWANCE_MS } from './clock-allowance';

// The workspace's repositories as the reconciliation needs them: UUIDs and last update, refreshed at
// most hourly (20 requests an hour for 2,000 repositories), and filtered by the admin's selection.

export interface IndexedRepository {
  uuid: string;
  slug: string;
  updatedOn: string;
}

const REFRESH_MS = 3_600_000;
const INDEX_MAX_PAGES = 200;
// Chunked: a list of 2,000 repositories is more than one stored value may hold.
const index = (store: KeyValueStore) =>
  chunkedList(store, 'reconcile:index', { item: z.tuple([z.string(), z.string(), z.string()]), meta: z.object({}) }, { ttlSeconds: 2 * 3600 });

// Listed repositories are checked one by one (checkedItems), each for what is used of it: one in an
// unexpected shape failed the whole listing, and with it the reconciliation of every repository.
const IndexItem = z.looseObject({ uuid: z.string(), slug: z.string(), updated_on: z.string().nullish() });
const ChangedItem = z.looseObject({ uuid: z.string(), updated_on: z.unknown() });

/** The index and when it was read from Bitbucket. */
export async function repositoryIndex(client: CloudClient, store: KeyValueStore, workspace: string, now: number, log: Logger): Promise<{ at: number; repositories: IndexedRepository[] }> {
  const cached = await index(store).read();
  if (cached && now - cached.at < REFRESH_MS) return { at: cached.at, repositories: cached.items.map(([uuid, slug, updatedOn]) => ({ uuid, slug, updatedOn })) };
  const repositories: IndexedRepository[] = [];
  const query = { pagelen: 100, fields: 'values.uuid,values.slug,values.updated_on,next' };
  // The settings page's list stops at the same 200 pages, and says so (admin/catalog.ts): what it cannot
  // select is not reconciled either.
  const cut = () => log.warn({ listed: repositories.length }, `the reconciliation's repository list stops at 200 pages of 100: repositories past them are not reconciled`);
  for await (const page of client.pages({ endpoint: 'repositories', params: { workspace }, query }, z.unknown(), INDEX_MAX_PAGES, cut)) {
    const { items, malformed } = checkedItems(page, IndexItem, named.repository);
    // Read again with the index, hourly: one Bitbucket lists whole again is reconciled from then on.
    for (const { reason } of malformed) log.warn({ reason: `${reason}: it is not reconciled while Bitbucket lists it so; report it to Atlassian support, the rest of the workspace is reconciled` }, "a repository was left out of the reconciliation's repository list");
    for (const repo of items) repositories.push({ uuid: repo.uuid, slug: repo.slug, updatedOn: repo.updated_on ?? '' });
  }
  await index(store).write(now, repositories.map((r): [string, string, string] => [r.uuid, r.slug, r.updatedOn]), {});
  return { at: now, repositories };
}

/** The index as last read, without asking Bitbucket: undefined when none is kept. */
export async function cachedRepositoryIndex(store: KeyValueStore): Promise<{ at: number; uuids: string[] } | undefined> {
  const cached = await index(store).read();
  return cached && { at: cached.at, uuids: cached.items.map(([uuid]) => uuid) };
}

export async function selectedRepositories(settings: SettingsStore, index: IndexedRepository[]): Promise<IndexedRepository[]> {
  const selection = await settings.selection();
  const marks = await settings.selectionMarks(selection.generation);
  return index.filter((repo) => marks.get(keyPart(repo.uuid)) ?? selection.mode === 'all');
}

/** How many pages of a hundred the workspace query reads: beyond, a pass would spend its hour on it. */
export const CHANGED_MAX_PAGES = 50;

/**
 * The workspace query's answer: each repository it listed, keyed by lower-case UUID, with the time it
 * changed; and, when it stopped at its page cap, the oldest time it read. Listed newest first, the
 * repositories it did not reach changed no later than that.
 */
export interface WorkspaceChanges {
  changed: Map<string, number>;
  cutAt?: number;
}

/**
 * Repositories pushed to (or changed) since `since`, in one request per hundred: Bitbucket moves a
 * repository's `updated_on` when it is pushed to, so the ones it does not list had no push. Each comes
 * with that time, so a repository is taken as pushed only if it changed after its own watermark: a
 * repository with an old watermark (newly selected, or failing) must not make every other one look
 * pushed, which would cost each of them its refs and deployments reads on every pass.
 */
export async function repositoriesChangedSince(client: CloudClient, workspace: string, since: number, log: Logger): Promise<WorkspaceChanges> {
  const changed = new Map<string, number>();
  // From the oldest watermark's overlap on (pushedSince). Newest first: a cut then leaves out only
  // repositories that changed before everything it read, which the recent watermarks do not need.
  const query = { q: `updated_on >= ${new Date(since - CLOCK_ALLOWANCE_MS).toISOString()}`, sort: '-updated_on', pagelen: 100, fields: 'values.uuid,values.slug,values.updated_on,next' };
  let pages = 0;
  let more = false;
  let oldest = Number.MAX_SAFE_INTEGER;
  for await (const page of client.pages({ endpoint: 'repositories', params: { workspace }, query }, z.unknown(), CHANGED_MAX_PAGES, () => (more = true))) {
    pages++;
    const { items, malformed } = checkedItems(page, ChangedItem, named.repository);
    // Only its UUID is needed, so this is one without: no telling which repository it is. Its push is
    // read at the next push Bitbucket lists whole (its branches are compared with the tips recorded).
    for (const { reason } of malformed) log.warn({ reason: `${reason}: a push to it is read at its next push Bitbucket lists whole; report it to Atlassian support, the rest of the workspace is reconciled` }, 'a repository was left out of the query for pushed repositories');
    for (const repo of items) {
      // Without a readable time it counts as changed now: a needless read rather than a missed push.
      const at = Date.parse(typeof repo.updated_on === 'string' ? repo.updated_on : '') || Number.MAX_SAFE_INTEGER;
      changed.set(repo.uuid.toLowerCase(), at);
      oldest = Math.min(oldest, at);
    }
  }
  return more && pages ? { changed, cutAt: oldest } : { changed };
}

/**
 * Whether `repository`, whose last pass started at `watermark`, was pushed to since then. Bitbucket
 * dates `updated_on` by its clock: a push just after the last pass may be dated before it, so a time in
 * the overlap (clock-allowance.ts) counts too, unless it is the one the last pass was planned with
 * (`seenAt`), which that pass dealt with (its refs were read after Bitbucket dated it, so a later push
 * has a later time). One the query did not reach before its cap may have been
 * pushed up to the cut's time: if that is within its watermark's overlap, it is read as pushed (its
 * refs are compared, so a push there is found and nothing else is sent twice).
 */
export function pushedSince(changes: WorkspaceChanges, repository: string, watermark: number, seenAt?: number): boolean {
  const at = changes.changed.get(repository.toLowerCase());
  if (at === undefined) return changes.cutAt !== undefined && changes.cutAt >= watermark - CLOCK_ALLOWANCE_MS;
  // The time the last pass was planned with is never news, even at or after that pass's start: Bitbucket
  // dates to the microsecond and we to the millisecond, so a change in the millisecond a pass starts (or
  // dated by a clock ahead of ours) reads as after it, and each pass would read its refs again.
  return at !== seenAt && at >= watermark - CLOCK_ALLOWANCE_MS;
}
