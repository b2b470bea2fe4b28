import { z } from 'zod';
import { kvKey } from '../../core/keys';
import { allEntries, type Logger } from '../../core/ports';
import type { SqliteStore } from './sqlite-store';

// A repository deleted in Bitbucket, or taken out of the bridge's selection, left its rows (cursor, pull
// request and reviewer memory, build watches, figures) in the state for the life of the
// installation, and every pass that lists a prefix read them. As the Forge app's daily walk does for its
// records, the bridge lets go of them, but only on firm ground: a complete listing (never one that
// failed, was cut or left an item out) that has not held the repository for a day, so a repository
// listed again at once, or a listing wrong for a while, loses nothing; one Bitbucket no longer lists at
// all must also answer that it is gone, where the edition can ask. Rows an undelivered delivery, a
// dead letter or a saved webhook of the repository may still need stay until those are gone.

/** How long a repository stays unlisted before its rows go. */
export const FORGET_AFTER_MS = 24 * 3600_000;

type EditionName = 'datacenter' | 'cloud';

/** Where each edition keeps a repository's cursor, whose `unlisted` says since when no listing held it. */
const CURSORS: Record<EditionName, string> = { datacenter: kvKey('dc', 'repo'), cloud: kvKey('bridge', 'cloud') };
const Cursor = z.looseObject({ unlisted: z.number().optional(), name: z.string().optional() });
export type ForgetCursor = z.infer<typeof Cursor>;

/**
 * The repository's rows: one key each, or every key under a `prefix:`. The cursor goes last. Its ref tips
 * stay: they lapse by themselves (ref-state.ts), and one selected again starts a backfill that, without
 * them, sends each branch as new from the window's edge: the commits delivered before, under new ids.
 */
function repositoryRows(edition: EditionName, part: string): { keys: string[]; prefixes: string[] } {
  const core = {
    keys: [kvKey('activity', part), kvKey('cache', 'repository', part), kvKey('cache', 'repository-seen', part), kvKey('cache', 'environments', part)],
    prefixes: [kvKey('reviewer', part), ...['branch', 'comment', 'undecided', 'pr', 'deploy', 'commit'].map((kind) => kvKey('metrics', kind, part))],
  };
  if (edition === 'cloud') return core;
  return {
    keys: [...core.keys, kvKey('dc', 'builds', part)],
    prefixes: [...core.prefixes, ...['pr', 'retry', 'build', 'webhook-same-second', 'leftout'].map((kind) => kvKey('dc', kind, part))],
  };
}

export interface ForgetDeps {
  store: SqliteStore;
  edition: EditionName;
  log: Logger;
  now: number;
  /** Every repository the listing held (selected or not), as the cursor keys name them. */
  listed: Set<string>;
  /** The ones this bridge polls. */
  selected: Set<string>;
  /**
   * Asked of one the listing no longer holds at all: true when Bitbucket answers that it is gone,
   * false when it answers with the repository, undefined when it cannot tell (a failed request).
   */
  gone(part: string, cursor: ForgetCursor): Promise<boolean | undefined>;
}

/** After a complete listing: forgets the repositories unlisted for a day. Returns the names (or ids) forgotten. */
export async function forgetUnlistedRepositories(deps: ForgetDeps): Promise<string[]> {
  const { store, now } = deps;
  const prefix = `${CURSORS[deps.edition]}:`;
  const due: Array<{ part: string; cursor: ForgetCursor }> = [];
  for await (const { key, value } of allEntries<unknown>(store, prefix, 500)) {
    const parsed = Cursor.safeParse(value);
    const part = key.slice(prefix.length);
    if (parsed.success && parsed.data.unlisted !== undefined && now - parsed.data.unlisted >= FORGET_AFTER_MS && !deps.selected.has(part)) due.push({ part, cursor: parsed.data });
  }
  if (!due.length) return [];
  const waiting = repositoriesWithWork(store);
  const forgotten: string[] = [];
  for (const { part, cursor } of due) {
    if (waiting.has(part) || store.count(`${kvKey('dc', 'inbox', part)}:`) > 0) continue;
    // Still listed but no longer selected: nothing to ask. Not listed at all: Bitbucket says.
    if (!deps.listed.has(part)) {
      const gone = await deps.gone(part, cursor);
      // It is there (a listing that missed it): asked again in a day, not at every listing.
      if (gone === false) await store.set(`${prefix}${part}`, { ...cursor, unlisted: now });
      if (gone !== true) continue;
    }
    await forgetRepository(store, deps.edition, part);
    forgotten.push(cursor.name ?? part);
  }
  if (forgotten.length) deps.log.info({ repositories: forgotten }, 'forgot the state of repositories deleted in Bitbucket or no longer selected for a day');
  return forgotten;
}

async function forgetRepository(store: SqliteStore, edition: EditionName, part: string): Promise<void> {
  const { keys, prefixes } = repositoryRows(edition, part);
  const all = [...keys];
  for (const prefix of prefixes) for await (const { key } of allEntries(store, `${prefix}:`, 500)) all.push(key);
  // The cursor last: a stop half-way leaves it, and the next listing finishes the work.
  all.push(`${CURSORS[edition]}:${part}`);
  for (const key of all) await store.delete(key);
}

/** The repositories (as keys name them) that undelivered deliveries and dead letters are of. */
function repositoriesWithWork(store: SqliteStore): Set<string> {
  const parts = (prefix: string, path: string) => {
    const found = store.summarize<{ parts: string }>(prefix, `SELECT json_group_array(DISTINCT lower(replace(replace(json_extract(value, '${path}'), '{', ''), '}', ''))) AS parts FROM rows`);
    return z.array(z.string().nullable()).parse(JSON.parse(found?.parts ?? '[]')).filter((part): part is string => part !== null);
  };
  return new Set([...parts('outbox:', '$.change.repository.uuid'), ...parts('dead:', '$.entry.change.repository.uuid')]);
}
