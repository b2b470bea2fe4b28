import { existsSync } from 'node:fs';
import { settingsStore, type Connection } from '../../core/config/settings';
import { liftPause, type Lifted } from '../../core/deliver/lift-pause';
import { systemClock } from '../../core/ports';
import type { BridgeConfig } from '../config/schema';
import { configSecrets } from '../context';
import { commandLogger } from '../ops/logger';
import { openSqliteStore } from './sqlite-store';

/**
 * Left by `check` when it lifted a pause, for the bridge running beside it: that one looks for it every
 * few seconds (runner.ts) and sends what the pause kept then, instead of at its next outbox sweep.
 */
export const RESUME_REQUEST_KEY = 'bridge:resume-requested';
/** How often: one read of the state file, so the kept deliveries go out seconds after the check. */
export const RESUME_LOOK_SECONDS = 2;

/**
 * Lifts the pause PanDev's answers put on deliveries (410, a web page, a refused token or secret) when
 * the check `passed`, and asks a running bridge to send what it kept; undefined when no pause was lifted.
 */
export async function clearPause(config: BridgeConfig, passed: boolean): Promise<Lifted | undefined> {
  if (!existsSync(config.bridge.db)) return undefined;
  const store = openSqliteStore(config.bridge.db);
  try {
    const ctx = { store, secrets: configSecrets(config), clock: systemClock, log: commandLogger(config.bridge.logLevel) };
    const connection = await settingsStore(store, ctx.secrets).connection();
    // What was checked is this command's configuration, which no one can save anew while it runs.
    return await liftPause(ctx, connection, { by: 'check', passed, settingsUnchanged: true, send: { ask: () => store.set(RESUME_REQUEST_KEY, { at: Date.now() }) } });
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
