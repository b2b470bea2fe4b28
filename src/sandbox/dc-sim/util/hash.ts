// Stateless, seeded hashing for values derived on demand. A 100,000-pull-request instance cannot keep
// every generated commit and activity in memory, so whatever the REST layer shows must be recomputable
// from a few stored numbers; these functions give the same answer for the same inputs every time.

/** murmur3's finaliser: a cheap, well-mixed 32-bit permutation. */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a few integers (each may exceed 32 bits; the high part is folded in). */
export function mix(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const value of values) {
    const high = Math.floor(value / 4294967296);
    h = fmix32(h ^ (value >>> 0));
    h = fmix32(h ^ (high >>> 0));
  }
  return h;
}

/** Uniform in [0, 1), from the same inputs as `mix`. */
export const unit = (...values: number[]): number => mix(...values) / 4294967296;

/** A 32-bit number for a string (seed texts, names), to feed into `mix`. */
export function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return fmix32(h);
}
