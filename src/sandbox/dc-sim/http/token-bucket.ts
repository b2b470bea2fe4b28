// Data Center's rate limit: a token bucket per user (defaults in Atlassian's docs: 60 tokens, 5 per
// second), each REST request taking one. An empty bucket answers 429 with `Retry-After` (jenkinsci
// bitbucket-branch-source-plugin PR #269); the body is not JSON (clients that parse it fail, per
// cdancy/bitbucket-rest #354), so callers must go by the status and the header.
import type { HttpResult } from './types';

export interface RateLimit {
  capacity: number;
  refillPerSecond: number;
}

export interface Clock {
  now(): number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private limit: RateLimit | null, private readonly clock: Clock) {}

  /** Changing the limit refills every bucket, as an administrator saving new settings does. */
  configure(limit: RateLimit | null): void {
    this.limit = limit;
    this.buckets.clear();
  }

  /** Takes a token for `user`, or says how many seconds until one is there. */
  take(user: string): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const limit = this.limit;
    if (!limit) return { allowed: true };
    const now = this.clock.now();
    const bucket = this.buckets.get(user) ?? { tokens: limit.capacity, at: now };
    bucket.tokens = Math.min(limit.capacity, bucket.tokens + ((now - bucket.at) / 1000) * limit.refillPerSecond);
    bucket.at = now;
    this.buckets.set(user, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    const seconds = limit.refillPerSecond > 0 ? Math.ceil((1 - bucket.tokens) / limit.refillPerSecond) : 3600;
    return { allowed: false, retryAfterSeconds: Math.max(1, seconds) };
  }
}

export function rateLimited(retryAfterSeconds: number): HttpResult {
  return {
    status: 429,
    headers: { 'Retry-After': String(retryAfterSeconds) },
    text: `Too many requests: the rate limit for your account has been exceeded. Retry after ${retryAfterSeconds} seconds.`,
  };
}
