import type { ReviewerStatus } from '../change/change';
import { kvKey } from '../keys';
import type { KeyValueStore } from '../ports';

// The last status the app saw per reviewer of a pull request: clearing a status is only meaningful
// against what it cleared (see change/intents.ts).

const TTL_SECONDS = 180 * 24 * 3600;

interface Stored {
  status: ReviewerStatus;
  at: string;
}

export function reviewerStateStore(store: KeyValueStore) {
  const key = (repository: string, pullRequest: number, reviewer: string) => kvKey('reviewer', repository, pullRequest, reviewer);
  return {
    get: (repository: string, pullRequest: number, reviewer: string) => store.get<Stored>(key(repository, pullRequest, reviewer)),
    /** Keeps the newest status: events can arrive out of order. */
    async record(repository: string, pullRequest: number, reviewer: string, next: Stored): Promise<void> {
      const current = await store.get<Stored>(key(repository, pullRequest, reviewer));
      if (current && Date.parse(current.at) > Date.parse(next.at)) return;
      await store.set(key(repository, pullRequest, reviewer), next, { ttlSeconds: TTL_SECONDS });
    },
  };
}
