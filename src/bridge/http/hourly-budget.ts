import type { RateBudget } from '../../core/budget/rate-budget';
import { parseRetryAfter } from '../../core/enrich/cloud/client';
import type { Clock, HttpResponse, Logger } from '../../core/ports';

// Bitbucket Cloud's allowance is a number of requests per rolling hour per credential (about 1,000),
// not a rate: the token bucket (5 a second, made for Data Center) would spend it in minutes and then
// meet 429s with no Retry-After, every request retried and every repository failing until the hour
// drained. So on Cloud each request first asks the app's own RateBudget, and when the hour is spent
// it waits until enough requests have left it: a backfill larger than an hour takes hours, and fails
// nothing. A 429 (the token also used elsewhere) still blocks the budget, 1, 2, 4 … minutes.

export interface RequestBudget {
  /** Waits until the hour has room for one more request, and counts it. */
  take(signal?: AbortSignal): Promise<void>;
  /** Bitbucket's answer: a 429 or its X-RateLimit-* headers tighten the budget. After a 429, how long (ms) the budget now blocks. */
  answered(response: HttpResponse): Promise<number | undefined>;
}

/** The bridge's time, and a wait in it (tests pass a clock whose waits move it on). */
export interface WaitingClock extends Clock {
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export function hourlyBudget(budget: RateBudget, options: { clock: WaitingClock; log?: Logger; waiting?: { until: number } }): RequestBudget {
  // One asker at a time, so a request is counted before the next one reads how many are left.
  let turn: Promise<unknown> = Promise.resolve();
  const take = async (signal?: AbortSignal) => {
    for (;;) {
      const snapshot = await budget.snapshot();
      if (snapshot.available >= 1) {
        budget.noteRequest();
        if (options.waiting) options.waiting.until = 0;
        return;
      }
      const now = options.clock.now();
      // At least a second: the minute records are coarse, and a wait must never spin.
      const resumeAt = Math.max(snapshot.availableAt(1), now + 1000);
      if (options.waiting) options.waiting.until = resumeAt;
      options.log?.info(
        { used: snapshot.used, planned: snapshot.planned, limit: snapshot.limit, resumeAt: new Date(resumeAt).toISOString(), ...(snapshot.blockedUntil ? { after: 'rate limited' } : {}) },
        'the hourly request budget for Bitbucket Cloud is spent; reads go on when requests leave the rolling hour',
      );
      await options.clock.sleep(resumeAt - now, signal);
    }
  };
  return {
    take(signal) {
      const mine = turn.then(() => take(signal));
      turn = mine.catch(() => undefined);
      return mine;
    },
    async answered(response) {
      budget.noteResponse(response.status, response.headers, parseRetryAfter(response.headers.get('retry-after')));
      if (response.status !== 429) return undefined;
      // Written at once: the next take must see the block the 429 set.
      await budget.flush();
      const { blockedUntil } = await budget.snapshot();
      return blockedUntil === undefined ? undefined : blockedUntil - options.clock.now();
    },
  };
}
