// The limits Forge's storage service enforces, answered with its error body `{ code, message }`
// (https://developer.atlassian.com/platform/forge/storage-reference/handling-errors-kvs).

export class KvsFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'KvsFailure';
  }
}

// The documented pattern /^(?!\s+$)[a-zA-Z0-9:._\s-#]+$/, with '-' moved last to say it is literal.
const KEY_PATTERN = /^(?!\s+$)[a-zA-Z0-9:._\s#-]+$/;
const MAX_KEY_LENGTH = 500;
const MAX_VALUE_BYTES = 240 * 1024;
const MAX_DEPTH = 31;
const TTL_UNIT_MS = { SECONDS: 1000, MINUTES: 60_000, HOURS: 3_600_000, DAYS: 86_400_000 } as const;
/** storage-reference/kvs-api, "Maximum TTL": one year from when the expiry is set (365 days, to be safe). */
export const MAX_TTL_MS = 365 * TTL_UNIT_MS.DAYS;

export function validateKey(key: string): void {
  if (key.length === 0) throw new KvsFailure(400, 'KEY_TOO_SHORT', 'The provided key is empty');
  if (key.length > MAX_KEY_LENGTH) throw new KvsFailure(400, 'KEY_TOO_LONG', `The provided key has exceeded the maximum ${MAX_KEY_LENGTH} characters`);
  if (!KEY_PATTERN.test(key)) throw new KvsFailure(400, 'INVALID_KEY', `The provided key does not match the regex: ${KEY_PATTERN.source}`);
}

function depth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  return 1 + Object.values(value).reduce((max: number, child) => Math.max(max, depth(child)), 0);
}

export function validateValue(value: unknown): void {
  if (value === undefined) throw new KvsFailure(400, 'INVALID_VALUE', 'A value is required');
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > MAX_VALUE_BYTES) throw new KvsFailure(400, 'MAX_SIZE', `The provided value has exceeded the maximum size limit (${bytes} > ${MAX_VALUE_BYTES} bytes)`);
  if (depth(value) > MAX_DEPTH) throw new KvsFailure(400, 'MAX_DEPTH', `The provided value has exceeded the maximum object depth (${MAX_DEPTH})`);
}

export function ttlMs(ttl: { value: number; unit: string } | undefined): number | undefined {
  if (!ttl) return undefined;
  const unitMs = TTL_UNIT_MS[ttl.unit as keyof typeof TTL_UNIT_MS];
  if (!unitMs || !(ttl.value > 0)) throw new KvsFailure(400, 'INVALID_TTL', `Invalid ttl ${JSON.stringify(ttl)}`);
  if (ttl.value * unitMs > MAX_TTL_MS) throw new KvsFailure(400, 'INVALID_TTL', `The ttl ${JSON.stringify(ttl)} is over the maximum of one year`);
  return ttl.value * unitMs;
}
