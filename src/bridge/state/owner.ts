import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { KeyValueStore } from '../../core/ports';
import { makeStateFolder } from './state-folder';

// One state file, one owner. Two bridges (two service units, an overlapping restart, another
// BRIDGE_LISTEN) polling and delivering from one file race on its cursors and its outbox: deliveries go
// twice, cursors move back. The owner holds an exclusive SQLite transaction on `<state file>.lock`, a
// lock the operating system drops when the process ends however it ends (kill -9 included), so there
// is never a stale lock to remove by hand. It is a file of its own because the state file's WAL locks
// must stay free for `status`, `dead-letters` and `check`, which run beside the owner.

const OWNER_KEY = 'bridge:owner';
const Owner = z.object({ pid: z.number(), host: z.string(), since: z.number() });

/** BRIDGE_DB is held by another bridge or backfill; the message says which and what to do. */
export class StateInUseError extends Error {
  constructor(db: string, owner: z.infer<typeof Owner> | undefined) {
    const who = owner ? `another bridge or backfill (pid ${owner.pid} on ${owner.host}, since ${new Date(owner.since).toISOString()})` : 'another bridge or backfill';
    super(
      `BRIDGE_DB (YAML: bridge.db) ${db} is in use by ${who}: two on one state file would send deliveries twice and move cursors back. ` +
        'Stop that one first (a backfill can run once it has stopped), or give this one a state file of its own (BRIDGE_SHARD=i/n splits the repositories between bridges). ' +
        '`status` and `dead-letters` work beside it.',
    );
    this.name = 'StateInUseError';
  }
}

export interface StateHold {
  /** Records this process as the owner, for the message another one gets. */
  record(store: KeyValueStore): Promise<void>;
  release(): void;
}

/** Takes the state file for this process, or throws StateInUseError at once (no waiting). */
export function holdState(db: string): StateHold {
  const lockFile = `${canonical(db)}.lock`;
  if (!existsSync(lockFile)) {
    makeStateFolder(path.dirname(lockFile), db);
    closeSync(openSync(lockFile, 'a', 0o600));
  }
  // timeout 0: a held lock answers SQLITE_BUSY now instead of after a wait.
  const lock = new Database(lockFile, { timeout: 0 });
  try {
    // Rollback-journal mode (the default for a new file): EXCLUSIVE locks the file at BEGIN. Nothing is
    // ever written, so the transaction leaves no journal behind.
    lock.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new StateInUseError(db, readOwner(db));
    throw error;
  }
  return {
    async record(store) {
      await store.set(OWNER_KEY, { pid: process.pid, host: hostname(), since: Date.now() } satisfies z.infer<typeof Owner>);
    },
    release: () => lock.close(),
  };
}

/** The same file under any name (a relative path, a symlink) must map to the same lock. */
function canonical(db: string): string {
  const resolved = path.resolve(db);
  return existsSync(resolved) ? realpathSync(resolved) : resolved;
}

/** Who holds the state, as the owner recorded it; unknown for a moment after it starts. */
function readOwner(db: string): z.infer<typeof Owner> | undefined {
  try {
    const state = new Database(canonical(db), { readonly: true, fileMustExist: true, timeout: 1000 });
    try {
      const row = state.prepare('SELECT value FROM kv WHERE key = ?').get(OWNER_KEY) as { value: string } | undefined;
      const owner = row ? Owner.safeParse(JSON.parse(row.value)) : undefined;
      return owner?.success ? owner.data : undefined;
    } finally {
      state.close();
    }
  } catch {
    return undefined;
  }
}
