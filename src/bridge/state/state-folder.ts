import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

// Node's recursive mkdir spins for ever where a folder exists but answers ENOENT for a child, as /proc
// does: it takes that for a missing parent, finds the parent there, and tries the child again. Being
// synchronous, it blocks the event loop, so the SIGTERM handler never runs and the process must be
// killed. The configuration's check (config/files.ts) turns such a BRIDGE_DB away first; folders are
// still made one level at a time here, so a path that slips past it fails with a message, not a spin.

/** BRIDGE_DB's folder could not be made; the message names the setting and what to change. */
export class StateFolderError extends Error {
  constructor(db: string, folder: string, code: string) {
    super(`BRIDGE_DB (YAML: bridge.db) ${db}: the folder ${folder} could not be created (${code}); point it at a file in a folder this user can write, e.g. /var/lib/pandev-bridge/state.db`);
    this.name = 'StateFolderError';
  }
}

/** Makes `folder` and the folders above it that are missing (mode 0700: only the bridge's user adds files there). */
export function makeStateFolder(folder: string, db: string): void {
  const missing: string[] = [];
  for (let level = path.resolve(folder); !exists(level); level = path.dirname(level)) {
    missing.unshift(level);
    if (path.dirname(level) === level) break;
  }
  for (const level of missing) {
    try {
      mkdirSync(level, { mode: 0o700 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      // Another bridge or backfill starting at the same moment made it first.
      if (code !== 'EEXIST') throw new StateFolderError(db, level, code);
    }
  }
}

function exists(target: string): boolean {
  try {
    statSync(target);
    return true;
  } catch {
    return false;
  }
}
