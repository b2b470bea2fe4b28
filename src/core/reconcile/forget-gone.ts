import { z } from 'zod';
import { BackfillRecord, GONE_SHOWN_MS } from '../backfill/state';
import { repositoryGone, type Lookups } from '../enrich/cloud/lookups';
import { kvKey, keyPart } from '../keys';
import type { KeyValueStore, Logger } from '../ports';
import { cachedRepositoryIndex } from './repositories';

// A repository's own records (its last event for the settings page, its backfill, its selection mark,
// its reconciliation's state when no pass found it gone before the list of repositories dropped it)
// outlived its deletion in Bitbucket: a key each for the life of the installation, and the status reads
// every `activity:` and `backfill:` key at each load. The five-minute tick walks them once a day, a
// bounded part at a time, and lets go of those of repositories Bitbucket no longer has. Not on the
// event path: a per-event read would cost far more than the keys it saves.

const PREFIXES = ['activity:', 'backfill:', 'selected:', 'reconcile:repo:'] as const;
const STATE_KEY = 'reconcile:forget';
const CYCLE_MS = 24 * 3600_000;
/** Forge answers at most 20 keys a query, whatever is asked. */
const PAGE = 20;
const PAGES_PER_TICK = 5;
/** A page's worth: a tick's first page is always finished, so the walk never sticks on one. */
const LOOKUPS_PER_TICK = PAGE;

const Walk = z.object({ startedAt: z.number(), prefix: z.number().int().min(0).max(PREFIXES.length - 1), cursor: z.string().optional(), finishedAt: z.number().optional() });
type Walk = z.infer<typeof Walk>;

export interface ForgetDeps {
  store: KeyValueStore;
  lookups: Lookups;
  workspace: string;
  log: Logger;
  now: number;
  /** Bitbucket requests the hour still allows: asking whether a repository is gone spends them. */
  requestsLeft: () => Promise<number>;
}

/** The repository a record is of, as its key names it (`keyPart` of its UUID). */
function repositoryPart(prefix: (typeof PREFIXES)[number], key: string): string {
  const rest = key.slice(prefix.length);
  // `selected:<generation>:<repository>`
  return prefix === 'selected:' ? rest.slice(rest.indexOf(':') + 1) : rest;
}

/** One tick's part of the walk. Returns the keys it deleted. */
export async function forgetGoneRepositories(deps: ForgetDeps): Promise<number> {
  const { store, now } = deps;
  const kept = Walk.safeParse(await store.get(STATE_KEY));
  let walk: Walk;
  if (!kept.success || (kept.data.finishedAt !== undefined && now - kept.data.startedAt >= CYCLE_MS)) walk = { startedAt: now, prefix: 0 };
  else if (kept.data.finishedAt !== undefined) return 0;
  else walk = kept.data;
  // The hourly list the reconciliation reads: only what it lacks is asked about. Without one (not
  // activated, deliveries paused) nothing is deleted.
  const index = await cachedRepositoryIndex(store);
  if (!index) return 0;
  const listed = new Set(index.uuids.map(keyPart));
  const gone = new Map<string, boolean>();
  let lookups = Math.min(LOOKUPS_PER_TICK, await deps.requestsLeft());
  let deleted = 0;
  // A page read with no request left to ask about what it lacks would be read again for nothing.
  for (let pages = 0; pages < PAGES_PER_TICK && walk.finishedAt === undefined && (pages === 0 || lookups > 0); pages++) {
    const prefix = PREFIXES[walk.prefix]!;
    const page = await store.list<unknown>(prefix, { limit: PAGE, ...(walk.cursor ? { cursor: walk.cursor } : {}) });
    const unlisted = [...new Set(page.entries.map(({ key }) => repositoryPart(prefix, key)).filter((part) => !listed.has(part) && !gone.has(part)))];
    // Not enough requests left for this page: it is read again at the next tick.
    if (unlisted.length > lookups) break;
    for (const part of unlisted) {
      // A repository made since the list was read is not in it either: only Bitbucket's 404 tells.
      gone.set(part, await repositoryGone(deps.lookups, deps.workspace, `{${part}}`));
      lookups--;
    }
    for (const { key, value } of page.entries) {
      if (await forgettable(prefix, key, value, gone.get(repositoryPart(prefix, key)) === true, deps)) {
        await store.delete(key);
        deleted++;
      }
    }
    if (page.cursor) walk = { ...walk, cursor: page.cursor };
    else if (walk.prefix + 1 < PREFIXES.length) walk = { startedAt: walk.startedAt, prefix: walk.prefix + 1 };
    else walk = { startedAt: walk.startedAt, prefix: walk.prefix, finishedAt: now };
  }
  await store.set(STATE_KEY, walk);
  if (deleted) deps.log.info({ deleted }, 'forgot the records of repositories deleted in Bitbucket');
  return deleted;
}

async function forgettable(prefix: (typeof PREFIXES)[number], key: string, value: unknown, repositoryGone: boolean, deps: ForgetDeps): Promise<boolean> {
  if (prefix === 'backfill:') {
    const record = BackfillRecord.safeParse(value);
    // The status names a repository deleted under its backfill for a while ("nothing needs doing"), then lets it be.
    if (record.success && record.data.state === 'gone') return deps.now - record.data.updatedAt > GONE_SHOWN_MS;
    // One still under way marks itself gone at its next piece (and is shown so): not taken from under it.
    if (record.success && (record.data.state === 'queued' || record.data.state === 'running')) return false;
  }
  if (!repositoryGone) return false;
  // The status names a deleted repository's backfill only while it is selected: the mark stays as long
  // (and while its backfill is under way, until that finds the repository gone).
  if (prefix === 'selected:') return !(await goneShown(deps, repositoryPart(prefix, key)));
  return true;
}

async function goneShown(deps: ForgetDeps, part: string): Promise<boolean> {
  const record = BackfillRecord.safeParse(await deps.store.get(kvKey('backfill', part)));
  if (!record.success) return false;
  if (record.data.state === 'queued' || record.data.state === 'running') return true;
  return record.data.state === 'gone' && deps.now - record.data.updatedAt <= GONE_SHOWN_MS;
}
