import { z } from 'zod';
import type { KeyValueStore } from '../ports';

// The reconciliation's steady draw on the hour. The status leaves it out of what the backfill may
// spend; so do the backfill's pieces when they say how long is left (backfill/job.ts), which know
// neither the selection nor the period: each plan keeps the figure for them.

/** Requests one idle repository costs (its activity log's first page), and an active one on average. */
export const IDLE_COST = 1;

const KEY = 'reconcile:draw';
const Draw = z.object({ perHour: z.number(), at: z.number() });

/** What `selected` repositories cost idle per hour at one pass each `periodMinutes` (BENCHMARKS.md). */
export function reconcilePerHour(selected: number, periodMinutes: number): number {
  return (selected * IDLE_COST * 60) / periodMinutes;
}

export async function recordDraw(store: KeyValueStore, selected: number, periodMinutes: number, now: number): Promise<void> {
  await store.set(KEY, { perHour: reconcilePerHour(selected, periodMinutes), at: now } satisfies z.infer<typeof Draw>);
}

/** The draw as the last plan found it: none before one. */
export async function reconcileDraw(store: KeyValueStore): Promise<number> {
  const draw = Draw.safeParse(await store.get(KEY));
  return draw.success ? draw.data.perHour : 0;
}
