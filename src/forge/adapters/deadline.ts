import { getAppContext } from '@forge/api';

/** manifest.yml: the `forward` function's timeoutSeconds (the queue consumer). */
export const CONSUMER_TIMEOUT_SECONDS = 120;
const CONSUMER_TIMEOUT_MS = CONSUMER_TIMEOUT_SECONDS * 1000;
/** Forge's limit for a resolver (notes/forge.md). */
export const RESOLVER_TIMEOUT_MS = 25_000;

/**
 * When this invocation ends: Forge says how long it has left; where it cannot (a tunnel), the
 * function's limit (by default the consumer's, from the manifest). Forge stops a function at its
 * limit, mid-write, so work that watches it hands back what it has not started instead of being cut off.
 */
export function invocationDeadline(now: number, limitMs = CONSUMER_TIMEOUT_MS): number {
  const left = timeLeft();
  // Not told (a tunnel, a test): counted from this handler's start, a moment after the invocation's.
  return now + (left ?? limitMs);
}

/**
 * Bitbucket Cloud's own gateway answers 500 to a request it has worked on for 30 s: a read still
 * unanswered by then is a stuck connection, not a slow answer.
 */
const BITBUCKET_READ_LIMIT_MS = 30_000;
/** The share of the time left one read may take; the rest records why it failed and hands the work back. */
const READ_SHARE = 0.6;

/**
 * How long the next Bitbucket read may take in this invocation (a trigger's or resolver's 25 s, the
 * consumer's 120 s, the tick's 300 s): the product API call takes no timeout, and a read that hung
 * until Forge stopped the function would leave no retry and no reason behind.
 */
export function bitbucketReadTimeoutMs(): number {
  const left = timeLeft();
  return left === undefined ? BITBUCKET_READ_LIMIT_MS : Math.min(BITBUCKET_READ_LIMIT_MS, Math.floor(left * READ_SHARE));
}

function timeLeft(): number | undefined {
  try {
    const left = getAppContext().invocationRemainingTimeInMillis();
    return Number.isFinite(left) && left > 0 ? left : undefined;
  } catch {
    return undefined;
  }
}
