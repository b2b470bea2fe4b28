import { z } from 'zod';
import { OutboxEntry, prefixes } from '../../core/deliver/outbox';
import { formatDuration } from '../../core/metrics/render';
import type { KeyValueStore } from '../../core/ports';

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

/** Past a PanDev restart or deploy, short of the first dead letters (about 1 h 45 min with the default retries). */
export const FAILING_ATTENTION_MS = 30 * 60_000;

export async function retryingDeliveries(store: KeyValueStore): Promise<RetryingDeliveries> {
  let deliveries = 0;
  let since = Infinity;
  let worst: OutboxEntry | undefined;
  let cursor: string | undefined;
  do {
    const page = await store.list<unknown>(prefixes.outbox, { cursor, limit: 500 });
    for (const { value } of page.entries) {
      const entry = OutboxEntry.safeParse(value);
      // Attempts count PanDev's answers only: an entry waiting on Bitbucket (its enrichment, Cloud's
      // hourly budget) has a lastError too, and waiting on Bitbucket is the plan, not PanDev failing.
      if (!entry.success || entry.data.attempts < 1 || !entry.data.lastError) continue;
      deliveries += 1;
      since = Math.min(since, entry.data.createdAt);
      if (!worst || entry.data.attempts > worst.attempts) worst = entry.data;
    }
    cursor = page.cursor;
  } while (cursor);
  if (!worst) return null;
  return { deliveries, since: new Date(since).toISOString(), attempts: worst.attempts, lastError: worst.lastError! };
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
