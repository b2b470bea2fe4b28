import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import path from 'node:path';
import type { Clock, KeyValueEntry, KeyValueStore } from '../../core/ports';
import { makeStateFolder } from './state-folder';

// The bridge's state in one SQLite file: the core's key-value port over a single table, so the outbox,
// the ledger, dead letters, stats and cursors work unchanged. WAL with synchronous=NORMAL makes every
// committed write survive a killed process (kill -9); only a power cut can take the last few.

export interface SqliteStore extends KeyValueStore {
  /** Live keys under a prefix (outbox depth, status). */
  count(prefix: string): number;
  /** Deletes expired rows; reads already ignore them. */
  purgeExpired(): number;
  /**
   * One read-only query over the live rows under `prefix`, seen as the table `rows (key, value)`:
   * reports over a large prefix (a backlog of 100,000 outbox entries) add up in SQLite, where reading
   * and parsing every row in JavaScript takes seconds.
   */
  summarize<T>(prefix: string, query: string): T | undefined;
  /** Runs `fn` in one transaction (a batch of writes is one disk commit). */
  transaction<T>(fn: () => T): T;
  readonly file: string;
  close(): void;
}

/**
 * BRIDGE_DB is no SQLite file, or a damaged one: SQLite's own words ('file is not a database') name
 * neither the setting nor what to do, and every command that opens the state ends with them.
 */
export class StateFileError extends Error {
  constructor(file: string, sqlite: string) {
    super(
      `BRIDGE_DB (YAML: bridge.db) ${file} cannot be read as the bridge's state (SQLite: ${sqlite}). ` +
        'If it names another file, point BRIDGE_DB at the state file the bridge made. If it is that file and it was damaged (a full disk, a copy taken while the bridge wrote), ' +
        'stop the bridge, restore it from a backup, or move it aside with its -wal and -shm files: the next start makes a new one and backfills BRIDGE_BACKFILL_DAYS again ' +
        '(PanDev deduplicates what it already has; the outbox and dead letters of the damaged file are not sent).',
    );
    this.name = 'StateFileError';
  }
}

/** Opens (creating it with mode 0600 when absent, else tightening it to 0600) the state database. */
export function openSqliteStore(file: string, clock: Clock = { now: () => Date.now() }): SqliteStore {
  const resolved = path.resolve(file);
  if (!existsSync(resolved)) {
    // Only the bridge's user lists or adds files beside its state (the lock, -wal and -shm); a folder
    // that exists is the operator's to set.
    makeStateFolder(path.dirname(resolved), file);
    // Created before SQLite opens it, so it never exists with the umask's permissions; SQLite gives the
    // -wal and -shm files the database file's own mode.
    closeSync(openSync(resolved, 'a', 0o600));
  }
  chmodSync(resolved, 0o600);
  // An existing file's -wal and -shm (a writer killed before its checkpoint) keep the mode they were
  // made with, and the -wal holds the newest rows: SQLite reuses them as they are.
  for (const suffix of ['-wal', '-shm']) if (existsSync(`${resolved}${suffix}`)) chmodSync(`${resolved}${suffix}`, 0o600);
  const db = new Database(resolved);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER) WITHOUT ROWID');
  } catch (error) {
    db.close();
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code?.startsWith('SQLITE_CORRUPT')) throw new StateFileError(file, (error as Error).message);
    throw error;
  }

  const live = '(expires_at IS NULL OR expires_at > @now)';
  const select = db.prepare(`SELECT value FROM kv WHERE key = @key AND ${live}`);
  const upsert = db.prepare('INSERT INTO kv (key, value, expires_at) VALUES (@key, @value, @expires) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at');
  const remove = db.prepare('DELETE FROM kv WHERE key = @key');
  const range = db.prepare(`SELECT key, value FROM kv WHERE key >= @from AND key < @to AND key > @after AND ${live} ORDER BY key LIMIT @limit`);
  const counter = db.prepare(`SELECT COUNT(*) AS n FROM kv WHERE key >= @from AND key < @to AND ${live}`);
  const purge = db.prepare('DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= @now');

  return {
    file: resolved,
    async get<T>(key: string) {
      const row = select.get({ key, now: clock.now() }) as { value: string } | undefined;
      return row ? (JSON.parse(row.value) as T) : undefined;
    },
    async set(key, value, options) {
      const expires = options?.ttlSeconds ? clock.now() + Math.ceil(options.ttlSeconds * 1000) : null;
      upsert.run({ key, value: JSON.stringify(value), expires });
    },
    async delete(key) {
      remove.run({ key });
    },
    async list<T>(prefix: string, options: { limit?: number; cursor?: string } = {}) {
      const limit = options.limit ?? 100;
      const rows = range.all({ from: prefix, to: prefixEnd(prefix), after: options.cursor ?? '', limit: limit + 1, now: clock.now() }) as Array<{ key: string; value: string }>;
      const page = rows.slice(0, limit);
      const entries: KeyValueEntry<T>[] = page.map((row) => ({ key: row.key, value: JSON.parse(row.value) as T }));
      return { entries, ...(rows.length > limit ? { cursor: page[page.length - 1]!.key } : {}) };
    },
    count: (prefix) => (counter.get({ from: prefix, to: prefixEnd(prefix), now: clock.now() }) as { n: number }).n,
    purgeExpired: () => purge.run({ now: clock.now() }).changes,
    summarize<T>(prefix: string, query: string) {
      const statement = db.prepare(`WITH rows AS (SELECT key, value FROM kv WHERE key >= @from AND key < @to AND ${live}) ${query}`);
      if (!statement.readonly) throw new Error('summarize() only reads: the query given would write to the state');
      return statement.get({ from: prefix, to: prefixEnd(prefix), now: clock.now() }) as T | undefined;
    },
    transaction: (fn) => db.transaction(fn)(),
    close: () => db.close(),
  };
}

// The smallest string greater than every string starting with `prefix` (keys are ASCII-safe, see core/keys.ts).
function prefixEnd(prefix: string): string {
  if (!prefix) return '\u{10FFFF}';
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
