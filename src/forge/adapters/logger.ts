import type { Logger } from '../../core/ports';
import { redactSensitive } from '../../core/redact';

// Forge keeps what functions write to the console (100 lines per runtime-minute), one JSON line per
// entry so the developer console can filter; credentials are masked (core/redact.ts).

function line(level: string, obj: object, msg: string): string {
  return JSON.stringify({ level, msg, ...(redactSensitive(obj) as object) });
}

export const forgeLogger: Logger = {
  debug: () => {},
  info: (obj, msg) => console.log(line('info', obj, msg)),
  warn: (obj, msg) => console.warn(line('warn', obj, msg)),
  error: (obj, msg) => console.error(line('error', obj, msg)),
};
