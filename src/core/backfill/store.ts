import { kvKey } from '../keys';
import type { KeyValueStore } from '../ports';
import type { Commit, PullRequest } from '../enrich/cloud/schema';
import type { Lifecycle } from '../history/pull-request-events';

// What a backfill job keeps between its pieces: the commit graph's pages and the pull requests it
// has read, so later phases (activity, refs) need no request for them. Kept three days at most.

const TTL_SECONDS = 3 * 24 * 3600;
const CHUNK = 25;

export interface StoredPullRequest {
  pullRequest: PullRequest;
  lifecycle: Lifecycle;
}

export interface CommitStats {
  files: number;
  lines_added: number;
  lines_removed: number;
}

export function jobStore(store: KeyValueStore, repository: string) {
  const key = (...parts: Array<string | number>) => kvKey('bfdata', repository, ...parts);
  return {
    /** A page of the feed, split so that no stored value nears Forge's 240 KiB limit. */
    async putCommits(page: number, commits: Commit[]): Promise<void> {
      for (let i = 0; i * CHUNK < commits.length; i++) {
        await store.set(key('commits', String(page).padStart(5, '0'), i), commits.slice(i * CHUNK, (i + 1) * CHUNK), { ttlSeconds: TTL_SECONDS });
      }
    },
    async commits(): Promise<Commit[]> {
      const all: Commit[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list<Commit[]>(key('commits') + ':', { cursor, limit: 100 });
        for (const { value } of page.entries) all.push(...value);
        cursor = page.cursor;
      } while (cursor);
      return all;
    },
    /** A commit's file stats, read once even when a piece ends before its push is staged. */
    commitStats: (hash: string) => store.get<CommitStats>(key('stats', hash.slice(0, 12))),
    putCommitStats: (hash: string, stats: CommitStats) => store.set(key('stats', hash.slice(0, 12)), stats, { ttlSeconds: TTL_SECONDS }),
    putPullRequest: (value: StoredPullRequest) => store.set(key('pr', value.pullRequest.id), value, { ttlSeconds: TTL_SECONDS }),
    pullRequest: (id: number) => store.get<StoredPullRequest>(key('pr', id)),
  };
}
