import { kvKey, MAX_KEY_LENGTH, nameKey } from '../keys';
import { DEAD_TTL_SECONDS, LEDGER_TTL_SECONDS } from '../deliver/outbox';
import type { KeyValueStore } from '../ports';

// The tip of each branch and tag as last delivered to PanDev, by any source. Reconciliation and
// backfill push only what lies beyond it, so a second run, or a run after the live push, sends nothing.

export interface RefTip {
  tip: string | null;
  at: number;
  /** Who delivered the push that ended here; `baseline` when nothing was delivered (a ref seen standing still). */
  origin: string;
  /**
   * Where the unbroken run of pushes that ended here began (live ones, or one the reconciliation sent
   * with history behind it, and those continuing either): the backfill fills in what lies before.
   */
  from?: string | null;
  /**
   * What lies before `from` in a backfill's window was never sent (the run began with a reconciliation
   * that had no tip for the ref): owed to the next backfill whenever it is asked for, unlike a live run
   * that began before it, whose history an earlier backfill sent.
   */
  behind?: true;
  /** When a reconciliation last found it standing still here (its keeping renewed). */
  seenAt?: number;
}

/** Renew a ref's keeping once it is this old: a ref that lapsed would be taken for a new one. */
export const REF_RENEW_MS = 200 * 24 * 3600_000;

const TTL_SECONDS = 400 * 24 * 3600;
/**
 * A deleted ref's record (tip null) tells a ref made again at the same commit from its first making
 * found again (stage.ts, pushOccurrence): needed while the ledger may hold the first making's delivery
 * (35 days) or the dead letters its burial (90 days: without the record, the ref made again was taken
 * for the dead letter and never sent), a day more for one retried past the deletion. Elsewhere it is
 * read only for a ref that exists again, made again with its live event lost; the branch facts are kept apart.
 * A busy workspace deletes branches by the thousand: kept 400 days, they were most of the ref keys.
 */
const DELETED_TTL_SECONDS = Math.max(LEDGER_TTL_SECONDS, DEAD_TTL_SECONDS) + 24 * 3600;

/** Where a ref's tip is kept. */
export const refStateKey = (repository: string, type: string, name: string) => `${kvKey('ref', repository, type)}:${nameKey(name)}`;

export function refStateStore(store: KeyValueStore) {
  const key = refStateKey;
  // Kept under the folded name before names got keys of their own: read when the own key is absent.
  const legacy = (repository: string, type: string, name: string) => kvKey('ref', repository, type, name);
  return {
    get: async (repository: string, type: string, name: string) => {
      const own = await store.get<RefTip>(key(repository, type, name));
      const old = legacy(repository, type, name);
      // A name too long for a key of its own was never kept under one.
      return own ?? (old === key(repository, type, name) || old.length > MAX_KEY_LENGTH ? undefined : store.get<RefTip>(old));
    },
    set: async (repository: string, type: string, name: string, tip: RefTip) => {
      await store.set(key(repository, type, name), tip, { ttlSeconds: tip.tip === null ? DELETED_TTL_SECONDS : TTL_SECONDS });
      // A deleted ref's record lapses long before one kept under the folded name (400 days from its last
      // write): `get` would then read that one's tip again, and the ref made again would be sent as a
      // move from it, a second time. Only deletions pay for this, and only of names that fold.
      const old = legacy(repository, type, name);
      if (tip.tip === null && old !== key(repository, type, name) && old.length <= MAX_KEY_LENGTH) await store.delete(old);
    },
  };
}
