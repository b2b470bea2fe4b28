import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { DropReason } from '../../contract/status';
import type { Clock, KeyValueStore } from '../ports';

// Delivery outcomes per hour, for the status page ("deliveries of the last 24 hours by outcome").
// Each function instance counts in memory and writes its own record per hour, so concurrent consumers
// never race on one key; a reader sums the records of the hours it wants.

export const Outcome = z.enum(['delivered', 'retried', 'dead', 'dropped']);
export type Outcome = z.infer<typeof Outcome>;
export type OutcomeCounts = Record<Outcome, number> & { droppedBy: Record<string, number> };

const PREFIX = 'stats:';
/** What the status sums: the last day, by hour. */
export const OUTCOME_HOURS = 24;
/**
 * A record of an hour is written during that hour, and summed until that hour is `OUTCOME_HOURS` old:
 * kept that long from its last write, plus an hour for the instances' clocks, it lives as long as a
 * sum needs it. The reader lists every record there is, so whatever lives longer is read for nothing.
 */
const TTL_SECONDS = (OUTCOME_HOURS + 1) * 3600;
const empty = (): OutcomeCounts => ({ delivered: 0, retried: 0, dead: 0, dropped: 0, droppedBy: {} });

/** `2026112519` for 19:xx UTC on 25 November 2026. */
export function hourBucket(at: number): string {
  return new Date(at).toISOString().slice(0, 13).replace(/\D/g, '');
}

export class DeliveryStats {
  private readonly instance = randomUUID();
  private hour = '';
  private counts = empty();
  private dirty = false;

  constructor(
    private readonly store: KeyValueStore,
    private readonly clock: Clock,
  ) {}

  private lastFlush = 0;

  /** `reason`: a known code only, so the settings page has words for every one it can be shown. */
  count(outcome: Outcome, reason?: DropReason): void {
    const hour = hourBucket(this.clock.now());
    if (hour !== this.hour) {
      this.hour = hour;
      this.counts = empty();
    }
    this.counts[outcome]++;
    if (outcome === 'dropped' && reason) this.counts.droppedBy[reason] = (this.counts.droppedBy[reason] ?? 0) + 1;
    this.dirty = true;
  }

  /**
   * Writes this instance's record for the hour, when anything changed. `minIntervalMs` bounds the writes
   * of high-volume callers (a trigger dropping events of unselected repositories) at the price of losing
   * that many seconds of counts if the instance is recycled before its next write.
   */
  async flush(minIntervalMs = 0): Promise<void> {
    const now = this.clock.now();
    if (!this.dirty || now - this.lastFlush < minIntervalMs) return;
    this.dirty = false;
    this.lastFlush = now;
    await this.store.set(`${PREFIX}${this.hour}:${this.instance}`, structuredClone(this.counts), { ttlSeconds: TTL_SECONDS });
  }
}

/** Sums the outcomes of the last `OUTCOME_HOURS` hours (the current one included). */
export async function recentOutcomes(store: KeyValueStore, now: number): Promise<OutcomeCounts> {
  const total = empty();
  const oldest = hourBucket(now - (OUTCOME_HOURS - 1) * 3600_000);
  let cursor: string | undefined;
  do {
    const page = await store.list<Partial<OutcomeCounts>>(PREFIX, { cursor, limit: 100 });
    for (const { key, value } of page.entries) {
      if (key.slice(PREFIX.length, PREFIX.length + 10) < oldest) continue;
      for (const outcome of Outcome.options) total[outcome] += value[outcome] ?? 0;
      for (const [reason, n] of Object.entries(value.droppedBy ?? {})) total.droppedBy[reason] = (total.droppedBy[reason] ?? 0) + n;
    }
    cursor = page.cursor;
  } while (cursor);
  return total;
}
