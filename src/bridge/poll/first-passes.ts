import { z } from 'zod';
import { kvKey } from '../../core/keys';
import { allEntries, type KeyValueStore } from '../../core/ports';

export type Edition = 'datacenter' | 'cloud';

/** Either edition's cursor, as far as a pass over it is concerned (editions/cloud.ts, poll/state.ts). */
const Cursor = z.object({ watermark: z.number(), lastSuccessAt: z.number().optional(), unlisted: z.number().optional() });

// Only the edition's own cursors: a state file that served the other edition keeps that one's, which no
// listing of this edition marks unlisted, and counting them would call a backfill done before it began.
const CURSORS: Record<Edition, string> = { datacenter: kvKey('dc', 'repo'), cloud: kvKey('bridge', 'cloud') };

/** Repositories still listed whose last good poll was at or after `since` (by default: ever, a first pass done). */
export async function passesDone(store: KeyValueStore, edition: Edition, since = -Infinity): Promise<number> {
  let done = 0;
  for await (const { value } of allEntries<unknown>(store, `${CURSORS[edition]}:`, 500)) {
    const cursor = Cursor.safeParse(value);
    if (cursor.success && cursor.data.lastSuccessAt !== undefined && cursor.data.lastSuccessAt >= since && cursor.data.unlisted === undefined) done++;
  }
  return done;
}
