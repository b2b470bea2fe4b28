import { z } from 'zod';
import type { Change } from './change';
import { sameSecondSlot } from './datacenter-intents';

// Data Center versions what can recur by its second (datacenter-intents.ts): a reviewer approving,
// taking it back and approving again within one second made two approvals of one id, and PanDev
// dropped the second as a copy. Each such change is counted per slot (its event key and entity) in its
// second, and from the second one on carries its count (change.occurrence), so the first keeps the id
// it always had. The poll counts the changes it reads (kept in the pull request's memory across
// passes), the webhook path the webhooks it handled (webhooks/same-second.ts): both count the same
// changes in the same order, so they name each one alike.

/** Per slot, the last second a change was counted in and how many fell in it. */
export const SameSecondCounts = z.record(z.string(), z.object({ at: z.string(), count: z.number().int().positive() }));
export type SameSecondCounts = z.infer<typeof SameSecondCounts>;

/** `change` with its count in its second (when not the first), and `counts` with it counted. */
export function counted(change: Change, counts: SameSecondCounts): { change: Change; counts: SameSecondCounts } {
  const slot = sameSecondSlot(change);
  if (!slot) return { change, counts };
  const last = counts[slot.slot];
  const count = last?.at === slot.second ? last.count + 1 : 1;
  return { change: count > 1 ? { ...change, occurrence: count } : change, counts: { ...counts, [slot.slot]: { at: slot.second, count } } };
}

/**
 * The counts a later change can still add to: those of `floor` (the second of the pull request's
 * updatedDate, when it was read) or after. Whatever happens next happens after that.
 */
export function countsSince(counts: SameSecondCounts, floor: string): SameSecondCounts {
  return Object.fromEntries(Object.entries(counts).filter(([, { at }]) => at >= floor));
}

/** `counts` knowing `change`, counted elsewhere (a webhook's, with its occurrence), as its slot's latest. */
export function knowing(counts: SameSecondCounts, change: Change): SameSecondCounts {
  const slot = sameSecondSlot(change);
  const last = slot && counts[slot.slot];
  const count = change.occurrence ?? 1;
  if (!slot || (last && (last.at > slot.second || (last.at === slot.second && last.count >= count)))) return counts;
  return { ...counts, [slot.slot]: { at: slot.second, count } };
}

/**
 * `change`, known to be none of those `counts` holds (the poll has not reported it), counted after them
 * in its second when its own count (a webhook's, which knows only the webhooks handled) falls among them.
 */
export function after(counts: SameSecondCounts, change: Change): Change {
  const slot = sameSecondSlot(change);
  const last = slot && counts[slot.slot];
  if (!slot || last?.at !== slot.second || (change.occurrence ?? 1) > last.count) return change;
  return { ...change, occurrence: last.count + 1 };
}
