import { getAppContext } from '@forge/api';

/** manifest.yml: the `forward` function's timeoutSeconds (the queue consumer). */
const CONSUMER_TIMEOUT_MS = 120_000;
/** Forge's limit for a resolver (notes/forge.md). */
export const RESOLVER_TIMEOUT_MS = 25_000;

/**
 * When this invocation ends: Forge says how long it has left; where it cannot (a tunnel), the
 * function's limit (by default the consumer's, from the manifest). Forge stops a function at its
 * limit, mid-write, so work that watches it hands back what it has not started instead of being cut off.
 */
export function invocationDeadline(now: number, limitMs = CONSUMER_TIMEOUT_MS): number {
  try {
    const left = getAppContext().invocationRemainingTimeInMillis();
    if (Number.isFinite(left) && left > 0) return now + left;
  } catch {
    // Not told (a tunnel, a test): counted from this handler's start, a moment after the invocation's.
  }
  return now + limitMs;
}
