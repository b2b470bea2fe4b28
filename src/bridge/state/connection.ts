import { existsSync } from 'node:fs';
import { settingsStore } from '../../core/config/settings';
import type { BridgeConfig } from '../config/schema';
import { configSecrets } from '../context';
import { openSqliteStore } from './sqlite-store';

/** Lifts the pause a 410 from PanDev put on deliveries; answers whether there was one. */
export async function clearPause(config: BridgeConfig): Promise<boolean> {
  if (!existsSync(config.bridge.db)) return false;
  const store = openSqliteStore(config.bridge.db);
  try {
    const settings = settingsStore(store, configSecrets(config));
    const connection = await settings.connection();
    if (!connection?.disabled) return false;
    const { disabled: _disabled, ...rest } = connection;
    await settings.saveConnection(rest);
    return true;
  } finally {
    store.close();
  }
}
