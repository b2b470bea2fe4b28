import { z } from 'zod';
import type { KeyValueStore } from '../ports';

// Where the Forge sweep's walk of a large outbox stands between ticks. Forge's storage pages a query
// 20 values at a time and says its cursors are not to be persisted (they may not stay valid), so the
// position is a key prefix instead: the walk takes the outbox one prefix at a time, and a prefix too
// large for one tick is split into its 17 children (outbox ids are UUIDs: lowercase hex and '-').
// A walk that visits a prefix's children one by one needs no order of keys from the store.

const POSITION_KEY = 'sweep:position';
/** Every character an outbox id (deliveryId, a UUID) may hold, at any position. */
const ID_ALPHABET = '-0123456789abcdef';
const Position = z.object({ prefix: z.string().regex(/^[-0-9a-f]*$/) });

/** The prefix to take first (the empty one is the whole outbox). */
export async function readSweepPosition(store: KeyValueStore): Promise<string> {
  const position = Position.safeParse(await store.get(POSITION_KEY));
  // Unreadable (written by another version): a walk from the start misses nothing.
  return position.success ? position.data.prefix : '';
}

export async function saveSweepPosition(store: KeyValueStore, prefix: string): Promise<void> {
  // An outbox that fits in one tick never writes: the walk starts and ends at the whole outbox.
  if (prefix === '') await store.delete(POSITION_KEY);
  else await store.set(POSITION_KEY, { prefix });
}

/** Where to go on when `prefix` could not be read to its end: its first child, then the others in turn. */
export function firstChild(prefix: string): string {
  return prefix + ID_ALPHABET[0]!;
}

/** The prefix after `prefix` and everything under it; undefined when that was the last (the walk is done). */
export function nextPrefix(prefix: string): string | undefined {
  for (let end = prefix.length; end > 0; end--) {
    const at = ID_ALPHABET.indexOf(prefix[end - 1]!);
    if (at < ID_ALPHABET.length - 1) return prefix.slice(0, end - 1) + ID_ALPHABET[at + 1]!;
  }
  return undefined;
}
