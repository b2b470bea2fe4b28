// When to try again. Exponential backoff with jitter so a PanDev outage is not met by a synchronized
// stampede when it ends; Retry-After wins when it asks for longer.

export interface RetryTuning {
  maxAttempts: number;
  baseDelaySeconds: number;
  /** Forge delays a queued event by at most 15 minutes; longer waits are chained. */
  maxDelaySeconds: number;
}

export const defaultRetryTuning: RetryTuning = { maxAttempts: 12, baseDelaySeconds: 30, maxDelaySeconds: 900 };

/** Seconds to wait after the `attempt`-th failure (1-based). */
export function retryDelaySeconds(attempt: number, tuning: RetryTuning, retryAfterSeconds?: number, random: () => number = Math.random): number {
  const exponential = tuning.baseDelaySeconds * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(tuning.maxDelaySeconds, exponential);
  const jittered = capped * (0.5 + random() / 2);
  return Math.max(1, Math.ceil(Math.max(jittered, retryAfterSeconds ?? 0)));
}
