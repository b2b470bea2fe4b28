import { kvKey } from '../keys';
import { allEntries, type KeyValueStore } from '../ports';
import { packBySize } from '../pack';
import type { Commit, PullRequest } from '../enrich/cloud/schema';
import { dropRendered, keepSubjects, trimLongText } from '../payload/limit';
import type { MergedPullRequest } from '../history/graph';
import type { Lifecycle } from '../history/pull-request-events';

// What a backfill keeps between its pieces: the commit graph's pages, the pull requests it has read
// and the order it read them in, so later phases (lifecycle, activity, refs) need no request for them.
// It belongs to one run of the backfill (the record's `run`): a backfill asked for again starts with
// none of an earlier run's pages. Every repository's run takes turns with the others' under one budget,
// so its data must outlast the whole workspace's backfill: kept 60 days (1.3 million requests at 900
// an hour, a 365-day window over hundreds of busy repositories); a run that outlives its data starts
// again (see `begun`). Expiry is the clean-up: deleting thousands of keys would cost a piece its time.

const TTL_SECONDS = 60 * 24 * 3600;
/**
 * A stored chunk of commits stays under this, well inside Forge's 240 KiB per value. Counted in bytes,
 * not commits: Bitbucket's commit object carries its message five times (message, summary, rendered),
 * so 25 squash merges listing what they squashed came to 400 KB, and the commit graph was left out.
 */
const CHUNK_BYTES = 160 * 1024;
/** A stored pull request stays under this: Forge's 240 KiB, less room for its key and encoding. */
const STORED_BYTES = 230 * 1024;
const ttl = { ttlSeconds: TTL_SECONDS };
const pageKey = (page: number) => String(page).padStart(5, '0');

export interface StoredPullRequest {
  pullRequest: PullRequest;
  lifecycle: Lifecycle;
  /** The page of the pull-request list it was found on, while the list is being read. */
  listedOn?: number;
}

export interface CommitStats {
  files: number;
  lines_added: number;
  lines_removed: number;
}

/** Facts about the repository's commits, true whichever run reads them: a commit's stats never change. */
export function jobStore(store: KeyValueStore, repository: string) {
  const key = (hash: string) => kvKey('bfdata', repository, 'stats', hash.slice(0, 12));
  return {
    /** A commit's file stats, read once even when a piece ends before its push is staged. */
    commitStats: (hash: string) => store.get<CommitStats>(key(hash)),
    putCommitStats: (hash: string, stats: CommitStats) => store.set(key(hash), stats, ttl),
  };
}

export type RunStore = ReturnType<typeof runStore>;

/** One run's working data. */
export function runStore(store: KeyValueStore, repository: string, run: string) {
  const key = (...parts: Array<string | number>) => kvKey('bfdata', repository, run, ...parts);
  return {
    /**
     * Written before anything else of the run, with the same lifetime: while it is there, everything
     * the run wrote after it is there too. Gone, some pages may have expired and the run cannot
     * trust a missing page to mean "no more".
     */
    begin: () => store.set(key('begun'), true, ttl),
    begun: async () => (await store.get(key('begun'))) !== undefined,
    /** A page of the commits feed, split so that no stored value nears Forge's 240 KiB limit. */
    async putCommits(page: number, commits: Commit[]): Promise<void> {
      for (const [i, chunk] of chunksOf(commits).entries()) await store.set(key('commits', pageKey(page), i), chunk, ttl);
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
    /**
     * Its commits kept as the pandev extras read them (history/pull-request-events.ts): the whole objects'
     * links, rendered messages and repository made a pull request of 150 commits 390 KB, which Forge
     * refused, and the pull request was left out with none of its events sent.
     */
    putPullRequest: (value: StoredPullRequest) => {
      const { commits } = value.lifecycle;
      const kept = commits.commits.map(leanCommit);
      const lean = { ...value, lifecycle: { ...value.lifecycle, commits: { ...commits, commits: kept } } };
      const fitted = { ...lean, pullRequest: fitting(lean.pullRequest, Buffer.byteLength(JSON.stringify(lean))) };
      // Many commits with long messages (150 of 8 KB made 1.3 MB): the oldest keep their first line, as
      // they would in a delivery over Bitbucket's 256 KB (payload/limit.ts). `kept` is the stored copy.
      const over = Buffer.byteLength(JSON.stringify(fitted)) - STORED_BYTES;
      if (over > 0) keepSubjects([...kept].reverse(), over, [], 'lifecycle.commits');
      return store.set(key('pr', value.pullRequest.id), withinStoredBytes(fitted), ttl);
    },
    pullRequest: (id: number) => store.get<StoredPullRequest>(key('pr', id)),
    /** The ids of a page of the pull-request list, in the order the later phases go through them. */
    putIds: (page: number, ids: number[]) => store.set(key('ids', pageKey(page)), ids, ttl),
    ids: (page: number) => store.get<number[]>(key('ids', pageKey(page))),
    /** A page's merged pull requests by merge and source commit: what a squash merge brought its destination (graph.ts). */
    putMerged: (page: number, merged: MergedPullRequest[]) => store.set(key('merged', pageKey(page)), merged, ttl),
    async merged(): Promise<MergedPullRequest[]> {
      const all: MergedPullRequest[] = [];
      for await (const { value } of allEntries<MergedPullRequest[]>(store, key('merged') + ':')) all.push(...value);
      return all;
    },
    /** Pull requests the list missed (updated while it was read), read on their own by the activity phase. */
    missed: async () => (await store.get<number[]>(key('missed'))) ?? [],
    async addMissed(id: number): Promise<void> {
      const missed = (await store.get<number[]>(key('missed'))) ?? [];
      if (!missed.includes(id)) await store.set(key('missed'), [...missed, id], ttl);
    },
  };
}

/** Consecutive commits, each run under CHUNK_BYTES; a commit larger on its own keeps only one copy of its message. */
function chunksOf(commits: Commit[]): Commit[][] {
  return packBySize(commits.map(keptSize), CHUNK_BYTES);
}

function keptSize(whole: Commit): { item: Commit; bytes: number } {
  const bytes = Buffer.byteLength(JSON.stringify(whole));
  if (bytes <= CHUNK_BYTES) return { item: whole, bytes };
  // The graph and the push read `message`; the rendered copies are what make it too large to keep.
  const { summary: _summary, rendered: _rendered, ...lean } = whole;
  return { item: lean as Commit, bytes: Buffer.byteLength(JSON.stringify(lean)) };
}

/**
 * A pull request whose description is long is stored with what its deliveries would shed anyway once
 * over Bitbucket's 256 KB (payload/limit.ts): first its rendered HTML copies, then text past 16 KB. Kept
 * whole, a 60 KB description (five copies with the rendered and summary ones) made its list page's
 * value too large for Forge, and the backfill left out the rest of the pull-request list.
 */
function fitting(pullRequest: PullRequest, bytes: number): PullRequest {
  if (bytes <= STORED_BYTES) return pullRequest;
  const shed = structuredClone(pullRequest);
  // The same shedding as a delivered body's, whose list of what was cut is its own business.
  dropRendered(shed, '', []);
  if (Buffer.byteLength(JSON.stringify(shed)) + bytes - Buffer.byteLength(JSON.stringify(pullRequest)) > STORED_BYTES) trimLongText(shed, '', []);
  return shed;
}

/**
 * A pull request of a few hundred commits (a release branch's) is still too large lean: its oldest
 * commits go until it fits, and it says so (its first commit's time is kept apart, so stays true).
 * Left whole, Forge refused the value and the backfill left the pull request out with none of its events.
 */
function withinStoredBytes(value: StoredPullRequest): StoredPullRequest {
  let bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes <= STORED_BYTES) return value;
  const kept = [...value.lifecycle.commits.commits];
  // Each commit's JSON and its comma.
  while (kept.length && bytes > STORED_BYTES) bytes -= Buffer.byteLength(JSON.stringify(kept.shift())) + 1;
  return { ...value, lifecycle: { ...value.lifecycle, commits: { ...value.lifecycle.commits, commits: kept }, commitsTruncated: true } };
}

function leanCommit(commit: Commit): Commit {
  const user = commit.author?.user;
  return {
    type: commit.type,
    hash: commit.hash,
    ...(commit.date !== undefined ? { date: commit.date } : {}),
    ...(commit.message !== undefined ? { message: commit.message } : {}),
    ...(commit.message_truncated === true ? { message_truncated: true } : {}),
    ...(commit.author ? { author: { ...(commit.author.raw !== undefined ? { raw: commit.author.raw } : {}), ...(user ? { user } : {}) } } : {}),
    ...(commit.parents ? { parents: commit.parents.map((parent) => ({ hash: parent.hash })) } : {}),
  };
}
