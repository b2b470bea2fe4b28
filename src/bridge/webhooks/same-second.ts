import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Change } from '../../core/change/change';
import { sameSecondSlot } from '../../core/change/datacenter-intents';
import { kvKey } from '../../core/keys';
import type { KeyValueStore } from '../../core/ports';

// A change versioned by its second gets its count in it from the second one on (core/change/
// same-second.ts); the poll counts the activities it reads, this path the webhooks it handled. Data
// Center sends each webhook once (an exact copy is turned away before it is saved), so each one handled
// is a change of its own, named here by its body's digest: a webhook handled again after a crash keeps
// its count. (The pull request's version named a decline before; a review does not raise it.) A reviewer
// approving again within the second can send the very bytes of the first approval (same second, same
// version, same statuses): that copy is turned away on receipt as a replay, and the poll reports the
// second approval, counted off the activities.

/**
 * By slot and second: a webhook of an earlier second handled late (out of order) must not make the
 * path forget what it counted in a later one. (Records from before were keyed by slot alone: they match
 * nothing now, and go with the next write after their minute.)
 */
const Handled = z.record(z.string(), z.object({ at: z.string(), names: z.array(z.string()) }));

/** A day: only changes within one second share a count, so a pull request's record is of use briefly. */
const KEEP_SECONDS = 24 * 3600;
/** Webhooks of one pull request may be handled out of order by this much, and still be counted together. */
const REORDER_MS = 60_000;

/** `change` with its count among the webhooks handled for its slot in its second, when not the first. */
export async function countedWebhook(store: KeyValueStore, repo: string, change: Change & { pullRequestId: number }, body: string): Promise<Change> {
  const slot = sameSecondSlot(change);
  if (!slot) return change;
  const key = kvKey('dc', 'webhook-same-second', repo, change.pullRequestId);
  const kept = Handled.catch({}).parse((await store.get(key)) ?? {});
  const name = createHash('sha256').update(body).digest('hex');
  const inSecond = `${slot.slot} ${slot.second}`;
  const names = kept[inSecond]?.names ?? [];
  let index = names.indexOf(name);
  if (index < 0) {
    index = names.length;
    const floor = Date.parse(slot.second) - REORDER_MS;
    const recent = Object.fromEntries(Object.entries(kept).filter(([, { at }]) => Date.parse(at) >= floor));
    await store.set(key, { ...recent, [inSecond]: { at: slot.second, names: [...names, name] } }, { ttlSeconds: KEEP_SECONDS });
  }
  return index > 0 ? { ...change, occurrence: index + 1 } : change;
}
