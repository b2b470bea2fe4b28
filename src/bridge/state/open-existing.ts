import { existsSync } from 'node:fs';
import { openSqliteStore, type SqliteStore } from './sqlite-store';

/** The state database for reading commands, which must not create an empty one by mistake. */
export function openExistingStore(file: string): SqliteStore | undefined {
  if (!existsSync(file)) {
    console.error(`no bridge state at ${file}: set BRIDGE_DB (or bridge.db in --config) to the file the bridge uses`);
    return undefined;
  }
  return openSqliteStore(file);
}
