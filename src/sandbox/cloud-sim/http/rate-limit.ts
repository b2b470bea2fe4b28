// Bitbucket Cloud's rolling one-hour request limit, counted per credential against the simulator's clock.
import type { Clock } from '../runtime';
import type { HttpResult } from './types';

const HOUR_MS = 3_600_000;

export interface RateDecision {
  allowed: boolean;
  /** Headers for credentials that get them (access tokens and Forge `asApp`). */
  headers: Record<string, string>;
}

export class RollingHourLimiter {
  private readonly hits = new Map<string, number[]>();

  /** `limit` 0 means unlimited. */
  constructor(private readonly limit: number, private readonly clock: Clock) {}

  take(key: string, withHeaders: boolean): RateDecision {
    if (this.limit <= 0) return { allowed: true, headers: {} };
    const now = this.clock.now();
    const recent = (this.hits.get(key) ?? []).filter((at) => at > now - HOUR_MS);
    // A rejected request does not count: the window drains and the caller gets through again.
    const allowed = recent.length < this.limit;
    if (allowed) recent.push(now);
    this.hits.set(key, recent);
    const headers: Record<string, string> = withHeaders
      ? { 'X-RateLimit-Limit': String(this.limit), 'X-RateLimit-Resource': 'api', 'X-RateLimit-NearLimit': String(recent.length > 0.8 * this.limit) }
      : {};
    return { allowed, headers };
  }
}

/** Observed in the wild: plain text and no Retry-After, so clients must back off on their own. */
export function rateLimited(headers: Record<string, string>): HttpResult {
  return { status: 429, headers, text: 'Rate limit for this resource has been exceeded' };
}
