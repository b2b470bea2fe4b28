import { kvKey } from '../../keys';
import type { KeyValueStore } from '../../ports';
import type { CloudClient } from './client';
import { Account, Repository } from './schema';

// Repository metadata and accounts change rarely and are needed on every delivery: they are cached in
// the key-value store so most events cost one Bitbucket request (the pull request itself).

const REPOSITORY_TTL_SECONDS = 6 * 3600;
const ACCOUNT_TTL_SECONDS = 24 * 3600;

export interface Lookups {
  repository(workspace: string, repositoryUuid: string, options?: { refresh?: boolean }): Promise<Repository>;
  /** The last repository object seen, for events about a repository that is already gone. */
  cachedRepository(repositoryUuid: string): Promise<Repository | undefined>;
  forgetRepository(repositoryUuid: string): Promise<void>;
  account(id: { uuid?: string; accountId?: string }, known: Array<Account | null | undefined>): Promise<Account | undefined>;
}

export function cloudLookups(client: CloudClient, store: KeyValueStore): Lookups {
  const memo = new Map<string, Repository>();
  const repositoryKey = (uuid: string) => kvKey('cache', 'repository', uuid);

  async function repository(workspace: string, uuid: string, options: { refresh?: boolean } = {}): Promise<Repository> {
    const key = repositoryKey(uuid);
    if (!options.refresh) {
      const hit = memo.get(key) ?? (await store.get<Repository>(key));
      if (hit) return hit;
    }
    const fresh = await client.get({ endpoint: 'repository', params: { workspace, repo_slug: uuid } }, Repository);
    memo.set(key, fresh);
    await store.set(key, fresh, { ttlSeconds: REPOSITORY_TTL_SECONDS });
    return fresh;
  }

  async function account(id: { uuid?: string; accountId?: string }, known: Array<Account | null | undefined>): Promise<Account | undefined> {
    if (!id.uuid && !id.accountId) return undefined;
    const same = (a: Account | null | undefined): a is Account =>
      !!a && ((!!id.uuid && a.uuid?.toLowerCase() === id.uuid.toLowerCase()) || (!!id.accountId && a.account_id === id.accountId));
    const local = known.find(same);
    if (local) return local;
    const selected = id.uuid ?? id.accountId!;
    const key = kvKey('cache', 'account', selected);
    const cached = await store.get<Account>(key);
    if (cached) return cached;
    const fetched = await client.get({ endpoint: 'user', params: { selected_user: selected } }, Account);
    await store.set(key, fetched, { ttlSeconds: ACCOUNT_TTL_SECONDS });
    return fetched;
  }

  return {
    repository,
    account,
    cachedRepository: async (uuid) => memo.get(repositoryKey(uuid)) ?? (await store.get<Repository>(repositoryKey(uuid))),
    forgetRepository: async (uuid) => {
      memo.delete(repositoryKey(uuid));
      await store.delete(repositoryKey(uuid));
    },
  };
}
