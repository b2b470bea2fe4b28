import pino from 'pino';
import type { Logger } from '../../core/ports';
import { redactSensitive } from '../../core/redact';

// JSON lines on stdout (what container platforms collect); credentials are masked (core/redact.ts).

export interface BridgeLogger extends Logger {
  flush(): void;
}

export function bridgeLogger(options: { level: string; destination?: NodeJS.WritableStream; stderr?: boolean }): BridgeLogger {
  const log = pino(
    {
      level: options.level,
      base: { name: 'pandev-bridge' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: (object) => redactSensitive(object) as Record<string, unknown> },
    },
    options.destination ?? pino.destination({ dest: options.stderr ? 2 : 1, sync: true }),
  );
  return {
    debug: (obj, msg) => log.debug(obj, msg),
    info: (obj, msg) => log.info(obj, msg),
    warn: (obj, msg) => log.warn(obj, msg),
    error: (obj, msg) => log.error(obj, msg),
    flush: () => log.flush(),
  };
}

/**
 * A one-off command's log (`dead-letters replay`): on stderr, so stdout is its summary alone, and only
 * warnings and errors unless BRIDGE_LOG_LEVEL=debug asks for more (info is the default, so it cannot).
 */
export function commandLogger(level: string): BridgeLogger {
  return bridgeLogger({ level: level === 'debug' || level === 'error' ? level : 'warn', stderr: true });
}
