import type { Logger } from '../../core/ports';

// Forge keeps what functions write to the console (100 lines per runtime-minute), one JSON line per
// entry so the developer console can filter. Anything that looks like a credential is masked even
// though the core never passes one: a logged secret cannot be taken back.

const SENSITIVE = /token|secret|authorization|password|signature/i;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, SENSITIVE.test(key) ? '[redacted]' : redact(item, depth + 1)]));
}

function line(level: string, obj: object, msg: string): string {
  return JSON.stringify({ level, msg, ...(redact(obj) as object) });
}

export const forgeLogger: Logger = {
  debug: () => {},
  info: (obj, msg) => console.log(line('info', obj, msg)),
  warn: (obj, msg) => console.warn(line('warn', obj, msg)),
  error: (obj, msg) => console.error(line('error', obj, msg)),
};
