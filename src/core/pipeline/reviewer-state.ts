import type { ReviewerStatus } from '../change/change';
import type { ReviewerTimeline } from '../change/intents';
import { kvKey } from '../keys';
import { allEntries, type KeyValueStore } from '../ports';

// The statuses the app saw per reviewer of a pull request: clearing a status is only meaningful
// against what it cleared, and an event Forge delivers late is read against those around it (see
// change/intents.ts).

const TTL_SECONDS = 180 * 24 * 3600;

/** A reviewer changes their mind a few times at most; older statuses than these no longer come late. */
const KEPT = 20;

interface Stored {
  /** The newest status. */
  status: ReviewerStatus;
  at: string;
  /** Every status seen, oldest first (absent in what was kept before events were placed among them). */
  history?: ReviewerTimeline;
  /**
   * Both of the reviewer's names, where the change recorded had both: a later event naming them by uuid
   * only, its pull request unreadable, finds its account id here (namedBy). Absent in older records.
   */
  names?: { uuid: string; accountId: string };
}

export function reviewerStateStore(store: KeyValueStore) {
  const key = (repository: string, pullRequest: number, reviewer: string) => kvKey('reviewer', repository, pullRequest, reviewer);
  const timeline = (stored: Stored | undefined): ReviewerTimeline => (stored ? (stored.history ?? [{ status: stored.status, at: stored.at }]) : []);
  // Kept under the reviewer's former name (their uuid, intents.ts reviewerKey) before the account id
  // named them: read while the own key is absent, so a status set before still tells what a clear ends.
  const read = async (repository: string, pullRequest: number, reviewer: string, former?: string) =>
    (await store.get<Stored>(key(repository, pullRequest, reviewer))) ?? (former ? await store.get<Stored>(key(repository, pullRequest, former)) : undefined);
  return {
    get: async (repository: string, pullRequest: number, reviewer: string, former?: string): Promise<ReviewerTimeline | undefined> => {
      const stored = await read(repository, pullRequest, reviewer, former);
      return stored ? timeline(stored) : undefined;
    },
    /** Places a status among those seen: events can arrive out of order, and twice. */
    async record(repository: string, pullRequest: number, reviewer: string, next: { status: ReviewerStatus; at: string }, former?: string, user?: { uuid?: string; accountId?: string }): Promise<void> {
      const stored = await read(repository, pullRequest, reviewer, former);
      const seen = timeline(stored);
      const time = Date.parse(next.at);
      if (seen.some((entry) => Date.parse(entry.at) === time && entry.status === next.status)) return;
      const history = [...seen, next].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).slice(-KEPT);
      const newest = history.at(-1)!;
      const names = user?.uuid && user.accountId ? { uuid: user.uuid, accountId: user.accountId } : stored?.names;
      await store.set(key(repository, pullRequest, reviewer), { status: newest.status, at: newest.at, history, ...(names ? { names } : {}) }, { ttlSeconds: TTL_SECONDS });
    },
    /**
     * The account id a record of this pull request's reviewers gives the uuid, if one does. Lists them
     * all (a handful of keys, one page): only a reviewer event that could not be named otherwise asks.
     */
    async namedBy(repository: string, pullRequest: number, uuid: string): Promise<string | undefined> {
      const wanted = uuid.toLowerCase();
      for await (const { value } of allEntries<Stored>(store, `${kvKey('reviewer', repository, pullRequest)}:`)) {
        if (value.names?.uuid.toLowerCase() === wanted) return value.names.accountId;
      }
      return undefined;
    },
  };
}
