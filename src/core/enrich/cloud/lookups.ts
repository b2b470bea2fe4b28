import { BitbucketError } from '../../errors';
import { kvKey } from '../../keys';
import type { KeyValueStore } from '../../ports';
import type { CloudClient } from './client';
import { Account, Repository } from './schema';

// Repository metadata and accounts change rarely and are needed on every delivery: they are cached in
// the key-value store so most events cost one Bitbucket request (the pull request itself).

const REPOSITORY_TTL_SECONDS = 6 * 3600;
const ACCOUNT_TTL_SECONDS = 24 * 3600;
/**
 * A repository is mostly idle before it is deleted, past the cache above: its deletion, which can no
 * longer read it, is described from this copy (full_name, links, project) instead of its slug alone.
 * Written only where the cache is (a read, a listing), so a busy repository costs no more writes.
 */
const LAST_SEEN_TTL_SECONDS = 365 * 24 * 3600;

export interface Lookups {
  /** `slug`: the one an event named; a cached copy under another slug is stale (a rename). */
  repository(workspace: string, repositoryUuid: string, options?: { refresh?: boolean; slug?: string }): Promise<Repository>;
  /** The last repository object seen (within a year), for events about a repository that is already gone. */
  cachedRepository(repositoryUuid: string): Promise<Repository | undefined>;
  forgetRepository(repositoryUuid: string): Promise<void>;
  /** Repository objects read some other way (a listing): later lookups need no request. */
  rememberRepositories(repositories: Repository[]): Promise<void>;
  account(id: { uuid?: string; accountId?: string }, known: Array<Account | null | undefined>): Promise<Account | undefined>;
}

/** How long a warm function instance trusts its in-memory copy before reading the store again. */
const MEMO_TTL_MS = 5 * 60 * 1000;

export function cloudLookups(client: CloudClient, store: KeyValueStore, now: () => number = Date.now): Lookups {
  const memo = new Map<string, { repository: Repository; at: number }>();
  const repositoryKey = (uuid: string) => kvKey('cache', 'repository', uuid);
  const lastSeenKey = (uuid: string) => kvKey('cache', 'repository-seen', uuid);
  const remembered = (key: string) => {
    const hit = memo.get(key);
    return hit && now() - hit.at < MEMO_TTL_MS ? hit.repository : undefined;
  };
  const remember = (key: string, value: Repository) => memo.set(key, { repository: value, at: now() });
  // The answer is in hand: a copy the store refuses (a description of 300 KB, nesting deeper than Forge
  // storage keeps) costs a request next time, where failing here dead-lettered the change under the
  // store's own words, as if Bitbucket could not be read.
  const cache = (key: string, value: unknown, ttlSeconds: number) => store.set(key, value, { ttlSeconds }).catch(() => undefined);

  async function repository(workspace: string, uuid: string, options: { refresh?: boolean; slug?: string } = {}): Promise<Repository> {
    const key = repositoryKey(uuid);
    if (!options.refresh) {
      const hit = remembered(key) ?? (await store.get<Repository>(key));
      // Events about a renamed repository can overtake the rename's own event, or outlive its loss:
      // the slug they carry is the freshest name the app has, and it is free.
      if (hit && (!options.slug || slugOf(hit) === options.slug.toLowerCase())) {
        remember(key, hit);
        return hit;
      }
    }
    const fresh = await client.get({ endpoint: 'repository', params: { workspace, repo_slug: uuid } }, Repository);
    remember(key, fresh);
    await Promise.all([cache(key, fresh, REPOSITORY_TTL_SECONDS), cache(lastSeenKey(uuid), fresh, LAST_SEEN_TTL_SECONDS)]);
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
    try {
      const fetched = await client.get({ endpoint: 'user', params: { selected_user: selected } }, Account);
      await cache(key, fetched, ACCOUNT_TTL_SECONDS);
      return fetched;
    } catch (error) {
      // An account Bitbucket will not show (an app's, a closed one): the change is still the change,
      // its actor named by the ids the event gave. Only the event's own subject gone drops it.
      if (!(error instanceof BitbucketError) || (error.kind !== 'not-found' && error.kind !== 'forbidden')) throw error;
      return { type: 'user', ...(id.uuid ? { uuid: id.uuid } : {}), ...(id.accountId ? { account_id: id.accountId } : {}) };
    }
  }

  return {
    repository,
    account,
    cachedRepository: async (uuid) => remembered(repositoryKey(uuid)) ?? (await store.get<Repository>(repositoryKey(uuid))) ?? (await store.get<Repository>(lastSeenKey(uuid))),
    rememberRepositories: async (repositories) => {
      for (const value of repositories) remember(repositoryKey(value.uuid), value);
      // One the store refuses is read on its own when needed; it is no failure of the listing read.
      await Promise.all(repositories.flatMap((value) => [cache(repositoryKey(value.uuid), value, REPOSITORY_TTL_SECONDS), cache(lastSeenKey(value.uuid), value, LAST_SEEN_TTL_SECONDS)]));
    },
    forgetRepository: async (uuid) => {
      memo.delete(repositoryKey(uuid));
      await Promise.all([store.delete(repositoryKey(uuid)), store.delete(lastSeenKey(uuid))]);
    },
  };
}

function slugOf(repository: Repository): string {
  const own = (repository as { slug?: unknown }).slug;
  return (typeof own === 'string' ? own : repository.full_name.slice(repository.full_name.indexOf('/') + 1)).toLowerCase();
}

/**
 * Whether a 404 from one of a repository's feeds means the repository itself is gone: its object is
 * asked for by uuid (a rename keeps it). A feed can answer 404 on its own (a resource the repository
 * does not offer), and a repository taken for deleted is left alone, so one request makes it certain.
 * Any other answer, an error included, says it is not known to be gone.
 */
export async function repositoryGone(lookups: Lookups, workspace: string, repositoryUuid: string): Promise<boolean> {
  try {
    await lookups.repository(workspace, repositoryUuid, { refresh: true });
    return false;
  } catch (error) {
    return error instanceof BitbucketError && error.kind === 'not-found';
  }
}
