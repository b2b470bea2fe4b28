// What both loggers (the Forge app's console lines, the bridge's pino) do to a logged object: anything
// whose key looks like a credential is masked at any depth, even though the code never logs one on
// purpose. A leaked token cannot be taken back, and a future log line with a whole request or config
// object (headers with a cookie among them) must not become one.

const SENSITIVE = /token|secret|authorization|password|signature|cookie/i;

export function redactSensitive(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((item) => redactSensitive(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, SENSITIVE.test(key) ? '[redacted]' : redactSensitive(item, depth + 1)]));
}
