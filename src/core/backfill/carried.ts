import { z } from 'zod';
import { keyPart } from '../keys';
import type { KeyValueStore } from '../ports';
import { PRIOR_PER_REPOSITORY } from './eta';
import type { BackfillRecord } from './state';

// The records chains carry at the moment, with the requests each still expects to make. Pieces run
// one at a time (PLANNED_WORK) and the chains take turns, so one repository's backfill goes at its
// share of the pace: its time left counts the others' requests too (eta.ts, `sharedRequests`). Written
// where every record is listed anyway (a start of chains: each tick, each Activate or selection), read
// once per piece; between two writes the others' figures only grow stale downwards, as they progress.

const KEY = 'backfill-carried';
const Carried = z.object({ at: z.number(), records: z.array(z.tuple([z.string(), z.number()])) });

export async function recordCarried(store: KeyValueStore, records: BackfillRecord[], now: number): Promise<void> {
  await store.set(KEY, { at: now, records: records.map((r) => [keyPart(r.repository), r.requestsLeft ?? PRIOR_PER_REPOSITORY]) });
}

/** The requests the other carried records expect to make; none known: an empty list (the repository's own pace alone). */
export async function othersCarried(store: KeyValueStore, repository: string): Promise<number[]> {
  const parsed = Carried.safeParse(await store.get(KEY));
  if (!parsed.success) return [];
  const own = keyPart(repository);
  return parsed.data.records.filter(([key]) => key !== own).map(([, requests]) => requests);
}
