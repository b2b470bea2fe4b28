import { existsSync } from 'node:fs';
import { settingsStore, type Connection } from '../../core/config/settings';
import type { BridgeConfig } from '../config/schema';
import { configSecrets } from '../context';
import { openSqliteStore } from './sqlite-store';

/** Lifts the pause PanDev's answers put on deliveries (410, a web page, a refused token or secret); answers whether there was one. */
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

/** What an operator does to end a pause, by what caused it; the reason itself says what PanDev answered. */
export function resumeAdvice(pause: NonNullable<Connection['disabled']>): string {
  if (pause.cause === 'token') return 'Put the token PanDev issued in PANDEV_TOKEN_FILE (read again, no restart) or PANDEV_TOKEN (then restart the bridge): the first delivery PanDev takes resumes the rest; or run `pandev-bitbucket check`: a check that passes resumes them';
  if (pause.cause === 'signature') return 'Put PanDev\'s signing secret in PANDEV_SIGNING_SECRET_FILE (read again, no restart) or PANDEV_SIGNING_SECRET (then restart the bridge): the first delivery PanDev takes resumes the rest; or run `pandev-bitbucket check`: a check that passes resumes them';
  return 'Set PANDEV_URL to PanDev\'s ingest URL and restart the bridge, or run `pandev-bitbucket check`: a check that passes resumes them';
}
