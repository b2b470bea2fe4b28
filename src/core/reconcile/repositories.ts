import { z } from 'zod';
import { chunkedList } from '../chunked-list';
import { keyPart } from '../keys';
import type { CloudClient } from '../enrich/cloud/client';
import { RepositoryPage } from '../enrich/cloud/schema';
import type { SettingsStore } from '../config/settings';
import type { KeyValueStore } from '../ports';

// The workspace's repositories as the reconciliation needs them: UUIDs and last update, refreshed at
// most hourly (20 requests an hour for 2,000 repositories), and filtered by the admin's selection.

export interface IndexedRepository {
  uuid: string;
  slug: string;
  updatedOn: string;
}

const REFRESH_MS = 3_600_000;
// Chunked: a list of 2,000 repositories is more than one stored value may hold.
const index = (store: KeyValueStore) =>
  chunkedList(store, 'reconcile:index', { item: z.tuple([z.string(), z.string(), z.string()]), meta: z.object({}) }, { ttlSeconds: 2 * 3600 });

export async function repositoryIndex(client: CloudClient, store: KeyValueStore, workspace: string, now: number): Promise<IndexedRepository[]> {
  const cached = await index(store).read();
  if (cached && now - cached.at < REFRESH_MS) return cached.items.map(([uuid, slug, updatedOn]) => ({ uuid, slug, updatedOn }));
  const repositories: IndexedRepository[] = [];
  const query = { pagelen: 100, fields: 'values.uuid,values.slug,values.full_name,values.name,values.type,values.updated_on,next' };
  for await (const page of client.pages({ endpoint: 'repositories', params: { workspace }, query }, RepositoryPage.shape.values.element, 200)) {
    for (const repo of page) repositories.push({ uuid: repo.uuid, slug: (repo.slug as string | undefined) ?? repo.name, updatedOn: (repo.updated_on as string | undefined) ?? '' });
  }
  await index(store).write(now, repositories.map((r): [string, string, string] => [r.uuid, r.slug, r.updatedOn]), {});
  return repositories;
}

export async function selectedRepositories(settings: SettingsStore, index: IndexedRepository[]): Promise<IndexedRepository[]> {
  const selection = await settings.selection();
  const marks = await settings.selectionMarks(selection.generation);
  return index.filter((repo) => marks.get(keyPart(repo.uuid)) ?? selection.mode === 'all');
}

/**
 * Repositories pushed to (or changed) since `since`, in one request per hundred: Bitbucket moves a
 * repository's `updated_on` when it is pushed to, so the ones it does not list had no push.
 */
export async function repositoriesChangedSince(client: CloudClient, workspace: string, since: number): Promise<Set<string>> {
  const changed = new Set<string>();
  const query = { q: `updated_on >= ${new Date(since).toISOString()}`, pagelen: 100, fields: 'values.uuid,values.full_name,values.name,values.type,next' };
  for await (const page of client.pages({ endpoint: 'repositories', params: { workspace }, query }, RepositoryPage.shape.values.element, 50)) {
    for (const repo of page) changed.add(repo.uuid.toLowerCase());
  }
  return changed;
}
