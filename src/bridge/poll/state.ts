import { z } from 'zod';
import { SameSecondCounts } from '../../core/change/same-second';
import { memoryToReread, type PullRequestMemory } from '../../core/enrich/datacenter/pull-request-events';
import { kvKey } from '../../core/keys';
import { allEntries, type KeyValueStore } from '../../core/ports';
import { recordNotice, type Notice } from '../ops/notices';
import { PullRequestsCut } from './pull-requests-cut';
import { RefsCut } from './refs-cut';

// What the poll remembers between passes, per repository and per pull request, in the state database.
// Each record is written only after what it vouches for is staged in the outbox, so a pass that dies
// half-way is simply done again and finds the same deliveries (same ids) already there.

export const RepositoryCursor = z.object({
  /** PROJECT/slug as last listed, for the operator (`status`); the state keys on the id, which survives renames. */
  name: z.string().optional(),
  /** The backfill window's start: nothing older is replayed. */
  since: z.number(),
  /** Pull requests last updated before this were all seen (minus a margin, see pull-requests.ts). */
  watermark: z.number(),
  lastPassAt: z.number().optional(),
  lastSuccessAt: z.number().optional(),
  /** Passes since tags were last listed (they are read every few passes: new tags are rare). */
  passesSinceTags: z.number().default(0),
  /** The repository's refs were read once: later ref moves are live pushes, not backfill. */
  refsKnown: z.boolean().default(false),
  /** The next branch read compares every tip, not only the most recent pages (see refs.ts). */
  fullBranchesDue: z.boolean().default(false),
  /** Which feed the next quiet pass reads (see repository-pass.ts). */
  probe: z.enum(['pulls', 'branches']).default('pulls'),
  /** The last pass found something new here: the next one reads both feeds. */
  active: z.boolean().default(false),
  error: z.string().optional(),
  /** Its branch or tag listing stopped at the page cap (refs-cut.ts): the refs past it are not polled. */
  refsCut: RefsCut.optional(),
  /** Its pull-request list stopped at the page cap within the last day (pull-requests-cut.ts). */
  pullRequestsCut: PullRequestsCut.optional(),
  /** When a listing first left it out (deselected, deleted, another shard's): its error is history. */
  unlisted: z.number().optional(),
});
export type RepositoryCursor = z.infer<typeof RepositoryCursor>;

export const PullRequestState = z.object({
  /**
   * updatedDate (epoch ms) when last processed. 0: not yet, only a webhook wrote the record (`m`, the
   * content it delivered), so that the poll's first read compares with that instead of with nothing.
   */
  u: z.number(),
  /** Highest activity id processed. */
  a: z.number(),
  /** When the bridge read it (its own clock): a 10.x updatedDate, to the second, may be shared by a later change. */
  t: z.number().optional(),
  /** What pr:modified and previousStatus are read against; kept until the pull request is merged. */
  m: z.unknown().optional(),
  /** A merged pull request's same-second counts, kept without the rest of `m`: its comments can still be edited. */
  c: SameSecondCounts.optional(),
  /**
   * updatedDate when the poll first saw it: a modification up to then was never compared with an
   * earlier title, so the poll did not report it, and its late webhook must. Absent in older records.
   */
  f: z.number().optional(),
});
export type PullRequestState = z.infer<typeof PullRequestState>;

/**
 * A pull request's record as `backfill --days` leaves it: none of its activities read (the next read
 * goes down to the wider window's start), what it knows of the pull request kept (see memoryToReread).
 * Undefined for a record that does not parse, which is no memory to keep.
 */
export function pullRequestToReread(value: unknown): PullRequestState | undefined {
  const parsed = PullRequestState.safeParse(value);
  if (!parsed.success) return undefined;
  const { m, c, t, f } = parsed.data;
  const kept = memoryToReread(m as PullRequestMemory | undefined, c);
  return { u: 0, a: 0, ...(kept.memory ? { m: kept.memory } : {}), ...(kept.counts ? { c: kept.counts } : {}), ...(t !== undefined ? { t } : {}), ...(f !== undefined ? { f } : {}) };
}

export const RetryRecord = z.object({ id: z.number(), reason: z.string(), failures: z.number(), firstAt: z.number(), lastAt: z.number() });
export type RetryRecord = z.infer<typeof RetryRecord>;

export const WatchedCommit = z.object({
  id: z.string(),
  /** Watched until then (epoch ms); one last detailed read when it ends. */
  until: z.number(),
  /** The build counts last seen for it (see builds.ts); absent: none seen yet. */
  s: z.string().optional(),
  /** The origin of the move that made it watched, for the deliveries it leads to. */
  o: z.enum(['poll', 'backfill', 'webhook']).optional(),
});
export type WatchedCommit = z.infer<typeof WatchedCommit>;
export const BuildWatch = z.object({ commits: z.array(WatchedCommit) });

/** The instance's build-status resources: when one answered that it is not there, and until when to believe it. */
export const BuildApi = z.object({ statsOffUntil: z.number().optional(), offUntil: z.number().optional() });
export type BuildApi = z.infer<typeof BuildApi>;

/**
 * Set once the instance was seen listing pull requests by creation under `order=NEWEST` (see
 * list-order.ts): from then on every pass reads each repository's whole list.
 */
export const ListOrder = z.object({ byCreation: z.literal(true), repository: z.string(), at: z.number() });
export type ListOrder = z.infer<typeof ListOrder>;

/** How long a pull request's record outlives its last read. */
export const PULL_REQUEST_KEPT_SECONDS = 400 * 24 * 3600;

export function pollState(store: KeyValueStore) {
  const read = async <T extends z.ZodType>(key: string, schema: T): Promise<z.infer<T> | undefined> => {
    const value = await store.get(key);
    if (value === undefined) return undefined;
    const parsed = schema.safeParse(value);
    return parsed.success ? parsed.data : undefined;
  };
  return {
    cursor: (repo: string) => read(kvKey('dc', 'repo', repo), RepositoryCursor),
    saveCursor: (repo: string, cursor: RepositoryCursor) => store.set(kvKey('dc', 'repo', repo), cursor),
    /** Marks the cursors of repositories a fresh listing did not hold (a renamed one keeps its id, and is listed). */
    markUnlisted: (listed: Set<string>, now: number) => markUnlisted(store, kvKey('dc', 'repo'), listed, now),
    pullRequest: (repo: string, id: number) => read(kvKey('dc', 'pr', repo, id), PullRequestState),
    savePullRequest: (repo: string, id: number, state: PullRequestState) => store.set(kvKey('dc', 'pr', repo, id), state, { ttlSeconds: PULL_REQUEST_KEPT_SECONDS }),
    retries: async (repo: string): Promise<RetryRecord[]> => {
      const page = await store.list<unknown>(`${kvKey('dc', 'retry', repo)}:`, { limit: 100 });
      return page.entries.flatMap(({ value }) => {
        const parsed = RetryRecord.safeParse(value);
        return parsed.success ? [parsed.data] : [];
      });
    },
    saveRetry: (repo: string, record: RetryRecord) => store.set(kvKey('dc', 'retry', repo, record.id), record, { ttlSeconds: 30 * 24 * 3600 }),
    clearRetry: (repo: string, id: number) => store.delete(kvKey('dc', 'retry', repo, id)),
    builds: async (repo: string) => (await read(kvKey('dc', 'builds', repo), BuildWatch)) ?? { commits: [] },
    saveBuilds: (repo: string, watch: z.infer<typeof BuildWatch>) => store.set(kvKey('dc', 'builds', repo), watch),
    buildStates: async (repo: string, commit: string) => (await store.get<Record<string, string>>(kvKey('dc', 'build', repo, commit))) ?? {},
    saveBuildStates: (repo: string, commit: string, states: Record<string, string>) => store.set(kvKey('dc', 'build', repo, commit), states, { ttlSeconds: 40 * 24 * 3600 }),
    buildApi: async () => (await read(kvKey('dc', 'buildapi'), BuildApi)) ?? {},
    saveBuildApi: (api: BuildApi) => store.set(kvKey('dc', 'buildapi'), api),
    listOrder: () => read(kvKey('dc', 'listorder'), ListOrder),
    saveListOrder: (order: ListOrder) => store.set(kvKey('dc', 'listorder'), order),
    forgetListOrder: () => store.delete(kvKey('dc', 'listorder')),
    /** Something given up that PanDev may miss, for `status` (a day). */
    notice: (notice: Notice) => recordNotice(store, notice),
  };
}
export type PollState = ReturnType<typeof pollState>;

/**
 * Marks `unlisted` the cursors under `prefix` (`<prefix>:<id>`) whose id a fresh listing did not hold,
 * either edition's: `status` then stops calling them failing, the last error being history. One listed
 * again loses its mark at once, not at its next pass: the mark says since when no listing held it, and
 * the repository's state is forgotten a day after it (forget-repositories.ts).
 */
export async function markUnlisted(store: KeyValueStore, prefix: string, listed: Set<string>, now: number): Promise<void> {
  for await (const { key, value } of allEntries<unknown>(store, `${prefix}:`, 500)) {
    if (typeof value !== 'object' || value === null) continue;
    const marked = (value as { unlisted?: unknown }).unlisted !== undefined;
    const isListed = listed.has(key.slice(prefix.length + 1));
    if (!marked && !isListed) await store.set(key, { ...value, unlisted: now });
    else if (marked && isListed) await store.set(key, { ...value, unlisted: undefined });
  }
}
