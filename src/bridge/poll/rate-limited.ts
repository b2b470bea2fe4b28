import { z } from 'zod';
import { kvKey } from '../../core/keys';
import type { Clock, KeyValueStore } from '../../core/ports';
import { keptRecord } from '../state/kept-record';

// Bitbucket answering 429 (Data Center's token bucket, Cloud's hour) is no failure: the bridge waits
// (Retry-After, Cloud's budget) and goes on, and only many refusals in a row fail a repository. Until
// then an operator saw slow progress and no reason. The running bridge keeps the episode here for
// `status` (another process): one write per 429, one when it is over, nothing while all is well.

export const RateLimited = z.object({
  /** The first 429 of the episode. */
  since: z.number(),
  /** The latest 429. */
  lastAt: z.number(),
  /** Until when the bridge waits before it asks again. */
  until: z.number(),
  /** Whose limit it is: what to change differs (Cloud's hour per user cannot be raised). Absent: written before it was kept. */
  edition: z.enum(['datacenter', 'cloud']).optional(),
});
export type RateLimited = z.infer<typeof RateLimited>;

/**
 * Answers this soon after a 429 (and 429s this soon after the wait it asked for) do not end the
 * episode: a token bucket lets a request through after each wait, and an episode that restarted at
 * each would never look as long as it is.
 */
export const EPISODE_GAP_MS = 10 * 60_000;

const KEY = kvKey('bridge', 'rate-limited');

export interface RateLimitRecorder {
  /** Bitbucket answered 429, and the bridge now waits `waitMs` before asking again. */
  limited(waitMs: number): Promise<void>;
  /** Bitbucket answered something else: the episode ends once it is EPISODE_GAP_MS past its last 429. */
  answered(): Promise<void>;
}

export function rateLimitRecorder(store: KeyValueStore, clock: Clock, edition: 'datacenter' | 'cloud'): RateLimitRecorder {
  let record: RateLimited | undefined;
  let loaded = false;
  // One change at a time, in order: concurrent 429s of one burst belong to one episode.
  let changes: Promise<void> = rateLimited(store).then((stored) => {
    record = stored;
    loaded = true;
  });
  const change = (apply: () => Promise<void>) => {
    // What `status` shows, not what the bridge does: a write that fails (the state file closing under a
    // stop) must not fail the request that met the 429.
    changes = changes.then(apply).catch(() => undefined);
    return changes;
  };
  return {
    limited: (waitMs) =>
      change(async () => {
        const now = clock.now();
        // The gap counts from the end of the wait the last 429 asked for: Cloud's backoff waits up to
        // 30 minutes between tries, and a refusal that lasts hours is one episode, not one per try.
        const episode = record && now - record.until < EPISODE_GAP_MS ? record : undefined;
        record = { since: episode?.since ?? now, lastAt: now, until: Math.max(episode?.until ?? 0, now + waitMs), edition };
        await kept.keep(store, record);
      }),
    answered: () =>
      loaded && !record
        ? Promise.resolve()
        : change(async () => {
            if (!record || clock.now() - record.lastAt < EPISODE_GAP_MS) return;
            record = undefined;
            await kept.keep(store, undefined);
          }),
  };
}

const kept = keptRecord(KEY, RateLimited);
export const rateLimited = kept.read;
