import { z } from 'zod';
import { Origin } from '../change/change';
import type { OutboxEntry } from '../deliver/outbox';
import { errorMessage } from '../errors';
import type { ForwardContext } from './context';
import { activityKey } from './stage';

// Each repository's last event for the settings page, and its last delivery for the status's last sync.
// Written at most once a minute per repository and function instance: a write per delivery would count
// against Forge's storage quota. The delivery that takes the minute's write can be a backfill or
// reconciliation replay of a change days old, so the record keeps the newest change delivered (by the
// change's own time), never simply the latest delivery's.

export const Activity = z.object({
  lastEventKey: z.string(),
  /** The change's own time (ISO 8601), not when it was delivered. */
  lastEventAt: z.string(),
  /** Which source found it; records written before it was kept have none. */
  lastEventOrigin: Origin.optional(),
  lastDeliveredAt: z.number(),
});
export type Activity = z.infer<typeof Activity>;

type LastEvent = Omit<Activity, 'lastDeliveredAt'>;

export const ACTIVITY_WRITE_INTERVAL_MS = 60_000;

// What happens in the repository now: a replay (backfill, reconciliation) brings back what was missed.
const LIVE: ReadonlySet<Origin> = new Set(['trigger', 'webhook', 'poll']);

interface Noted {
  writtenAt: number;
  written: LastEvent;
  /** The newest change delivered since that write, shown at the next one. */
  pending?: LastEvent;
}

const noted = new Map<string, Noted>();

/** A note for the status page: a failure here must not undo a delivery, nor skip its metrics' facts. */
export async function recordActivity(entry: OutboxEntry, ctx: Pick<ForwardContext, 'store' | 'clock' | 'log'>): Promise<void> {
  const repository = entry.change.repository.uuid;
  const now = ctx.clock.now();
  const event: LastEvent = { lastEventKey: entry.eventKey, lastEventAt: entry.change.at, lastEventOrigin: entry.origin };
  const before = noted.get(repository);
  const newest = newer(before?.pending, event);
  if (before && now - before.writtenAt < ACTIVITY_WRITE_INTERVAL_MS && !outdatesReplay(event, before.written)) {
    before.pending = newest;
    return;
  }
  // Noted before the write: the deliveries of a batch running beside this one wait for the next minute.
  noted.set(repository, { writtenAt: now, written: newest });
  try {
    await ctx.store.set(activityKey(repository), await merged(ctx, repository, newest, now));
  } catch (error) {
    if (before) noted.set(repository, { ...before, pending: newest });
    else noted.delete(repository);
    ctx.log.warn({ id: entry.id, error: errorMessage(error) }, "could not note the repository's last delivery for the status page");
  }
}

/**
 * A live event after a write that showed a replayed one is written at once: the page would otherwise
 * show the replay's old time for the rest of the minute, or until the next delivery. At most one such
 * extra write a minute, as what it writes is live.
 */
function outdatesReplay(event: LastEvent, written: LastEvent): boolean {
  const live = (e: LastEvent) => e.lastEventOrigin !== undefined && LIVE.has(e.lastEventOrigin);
  return live(event) && !live(written) && newer(written, event) === event;
}

/** Another function instance may have written a newer change (a live one, while this one replays): it stays. */
async function merged(ctx: Pick<ForwardContext, 'store'>, repository: string, event: LastEvent, now: number): Promise<Activity> {
  const stored = Activity.safeParse(await ctx.store.get(activityKey(repository)));
  if (!stored.success) return { ...event, lastDeliveredAt: now };
  const { lastDeliveredAt, ...storedEvent } = stored.data;
  return { ...newer(storedEvent, event), lastDeliveredAt: Math.max(lastDeliveredAt, now) };
}

/** The one whose change happened later; `candidate` when neither has a readable time to compare. */
function newer(current: LastEvent | undefined, candidate: LastEvent): LastEvent {
  if (!current) return candidate;
  return timeOf(current) > timeOf(candidate) ? current : candidate;
}

function timeOf(event: LastEvent): number {
  const at = Date.parse(event.lastEventAt);
  return Number.isNaN(at) ? -Infinity : at;
}
