import { existsSync, statSync } from 'node:fs';
import { openSqliteStore, type SqliteStore } from './sqlite-store';

/** The state database for reading commands, which must not create an empty one by mistake. */
export function openExistingStore(file: string): SqliteStore | undefined {
  if (!existsSync(file)) {
    console.error(`no bridge state at ${file}: set BRIDGE_DB (or bridge.db in --config) to the file the bridge uses`);
    return undefined;
  }
  // SQLite's own answer for a folder, "unable to open database file", names neither the setting nor the fix.
  if (statSync(file).isDirectory()) {
    console.error(`${file} is a folder, not the bridge's state file: set BRIDGE_DB (or bridge.db in --config) to the file in it the bridge uses (by default pandev-bridge.db)`);
    return undefined;
  }
  return openSqliteStore(file);
}
