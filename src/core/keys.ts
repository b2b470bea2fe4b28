import { createHash } from 'node:crypto';

// Forge's key-value store accepts `[a-zA-Z0-9:._\s-#]` in keys (no braces), up to 500 characters.
// Every key the core writes is built here, from parts that may be brace-wrapped Bitbucket UUIDs.

/** Forge refuses any call, a read included, with a longer key. */
export const MAX_KEY_LENGTH = 500;

export function keyPart(value: string | number): string {
  return String(value).replace(/[{}]/g, '').toLowerCase().replace(/[^a-z0-9._#-]/g, '_');
}

export function kvKey(...parts: Array<string | number>): string {
  return parts.map(keyPart).join(':');
}

/**
 * A free-text part (a branch or tag name) that must not merge with another: `keyPart` folds case and
 * turns `/` into `_`, so `release/1.0`, `Release/1.0` and `release_1.0` would share a key. A name that
 * folding leaves as it is keeps its spelling; any other becomes a digest (bounded in length, too).
 */
export function nameKey(name: string): string {
  return /^[a-z0-9.#-]+$/.test(name) && name.length <= 100 ? name : `h.${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
}
