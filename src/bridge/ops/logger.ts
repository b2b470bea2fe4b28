import pino from 'pino';
import type { Logger } from '../../core/ports';

// JSON lines on stdout (what container platforms collect). Anything that looks like a credential is
// masked at any depth, even though the bridge never logs one on purpose: a leaked token cannot be
// taken back, and a future log line with a whole request or config object must not become one.

const SENSITIVE = /token|secret|authorization|password|signature|cookie/i;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, SENSITIVE.test(key) ? '[redacted]' : redact(item, depth + 1)]));
}

export interface BridgeLogger extends Logger {
  flush(): void;
}

export function bridgeLogger(options: { level: string; destination?: NodeJS.WritableStream; stderr?: boolean }): BridgeLogger {
  const log = pino(
    {
      level: options.level,
      base: { name: 'pandev-bridge' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: (object) => redact(object) as Record<string, unknown> },
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
