import { existsSync } from 'node:fs';
import { settingsStore, type Connection } from '../../core/config/settings';
import { prefixes } from '../../core/deliver/outbox';
import type { BridgeConfig } from '../config/schema';
import { configSecrets } from '../context';
import { openSqliteStore } from './sqlite-store';

/**
 * Left by `check` when it lifted a pause, for the bridge running beside it: that one looks for it every
 * few seconds (runner.ts) and sends what the pause kept then, instead of at its next outbox sweep.
 */
export const RESUME_REQUEST_KEY = 'bridge:resume-requested';
/** How often: one read of the state file, so the kept deliveries go out seconds after the check. */
export const RESUME_LOOK_SECONDS = 2;

/**
 * Lifts the pause PanDev's answers put on deliveries (410, a web page, a refused token or secret), and
 * asks a running bridge to send what it kept; answers with the deliveries kept, or undefined for no pause.
 */
export async function clearPause(config: BridgeConfig): Promise<{ kept: number } | undefined> {
  if (!existsSync(config.bridge.db)) return undefined;
  const store = openSqliteStore(config.bridge.db);
  try {
    const settings = settingsStore(store, configSecrets(config));
    const connection = await settings.connection();
    if (!connection?.disabled) return undefined;
    const { disabled: _disabled, ...rest } = connection;
    await settings.saveConnection(rest);
    await store.set(RESUME_REQUEST_KEY, { at: Date.now() });
    return { kept: store.count(prefixes.outbox) };
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
