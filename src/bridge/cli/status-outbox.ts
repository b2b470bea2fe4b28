import { z } from 'zod';
import { FAILING_ATTENTION_MS } from '../../core/deliver/failing';
import { prefixes } from '../../core/deliver/outbox';
import { formatDuration } from '../../core/metrics/render';
import type { SqliteStore } from '../state/sqlite-store';

// Deliveries PanDev answered with a failure (unreachable, 5xx, 429, a timeout) that wait for a retry.
// The outbox's depth alone says neither that PanDev is failing nor why, and with the default retries
// the oldest become dead letters after about 1 h 45 min: an operator should hear of it before that.

export const RetryingDeliveries = z
  .object({
    deliveries: z.number(),
    /** When the oldest of them was staged. */
    since: z.string(),
    /** The most attempts any of them has had. */
    attempts: z.number(),
    /** PanDev's answer (or the network's) to the most tried of them. */
    lastError: z.string(),
  })
  .nullable();
export type RetryingDeliveries = z.infer<typeof RetryingDeliveries>;


// Attempts count PanDev's answers only: an entry waiting on Bitbucket (its enrichment, Cloud's hourly
// budget) has a lastError too, and waiting on Bitbucket is the plan, not PanDev failing. The most tried
// entry is the first of them in key order, as a scan of the outbox would find it.
const FAILED = `SELECT * FROM (
  WITH failed AS MATERIALIZED (
    SELECT key, json_extract(value, '$.attempts') AS attempts, json_extract(value, '$.createdAt') AS createdAt, json_extract(value, '$.lastError') AS lastError
    FROM rows WHERE json_extract(value, '$.attempts') >= 1 AND COALESCE(json_extract(value, '$.lastError'), '') <> ''
  )
  SELECT COUNT(*) AS deliveries, MIN(createdAt) AS since, MAX(attempts) AS attempts, (SELECT lastError FROM failed ORDER BY attempts DESC, key LIMIT 1) AS lastError FROM failed
)`;

/**
 * Counted in SQLite: over 100,000 failed entries it took about a second on a busy two-core machine,
 * where parsing each entry in JavaScript took about 20 s (measured by hand, see the commit).
 */
export function retryingDeliveries(store: SqliteStore): RetryingDeliveries {
  const found = store.summarize<{ deliveries: number; since: number | null; attempts: number | null; lastError: string | null }>(prefixes.outbox, FAILED);
  if (!found?.deliveries || found.since === null || found.attempts === null || found.lastError === null) return null;
  return { deliveries: found.deliveries, since: new Date(found.since).toISOString(), attempts: found.attempts, lastError: found.lastError };
}

/** The attention item once PanDev has failed deliveries for longer than a restart takes; undefined before. */
export function retryingMessage(retrying: RetryingDeliveries, now: number): string | undefined {
  if (!retrying || now - Date.parse(retrying.since) < FAILING_ATTENTION_MS) return undefined;
  const count = `${retrying.deliveries} ${retrying.deliveries === 1 ? 'delivery' : 'deliveries'}`;
  return `PanDev has not taken ${count} for ${formatDuration((now - Date.parse(retrying.since)) / 1000)}, ${retrying.attempts} ${retrying.attempts === 1 ? 'attempt' : 'attempts'} so far; the last answer: ${retrying.lastError}. They are retried with growing waits and become dead letters once their attempts run out (tuning.maxAttempts, 12 by default: about 1 h 45 min). Check that PanDev is up and that PANDEV_URL reaches it: \`pandev-bitbucket check\` sends a test delivery`;
}

export function outboxLine(outbox: number, retrying: RetryingDeliveries): string {
  const line = `outbox      ${outbox} waiting`;
  if (!retrying) return line;
  return `${line}; ${retrying.deliveries} of them failed at PanDev and wait for a retry (the oldest since ${retrying.since}, ${retrying.attempts} ${retrying.attempts === 1 ? 'attempt' : 'attempts'} so far): ${retrying.lastError}`;
}
