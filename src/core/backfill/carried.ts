import { z } from 'zod';
import { keyPart } from '../keys';
import type { KeyValueStore } from '../ports';
import { PRIOR_PER_REPOSITORY } from './eta';
import type { BackfillRecord } from './state';

// The records chains carry at the moment, with the requests each still expects to make. Pieces run
// one at a time (PLANNED_WORK) and the chains take turns, so one repository's backfill goes at its
// share of the pace: its time left counts the others' requests too (eta.ts, `sharedRequests`). Written
// whole where every record is listed anyway (a start of chains: each tick, each Activate or selection);
// each piece reads it once and then sets its own figure, or takes itself out when done (pieces run one
// at a time, so they do not race one another); deselecting takes a repository out at once. A record
// a chain takes on between two starts is counted from its first piece.

const KEY = 'backfill-carried';
const Carried = z.object({ at: z.number(), records: z.array(z.tuple([z.string(), z.number()])) });

export async function recordCarried(store: KeyValueStore, records: BackfillRecord[], now: number): Promise<void> {
  await store.set(KEY, { at: now, records: records.map((r) => [keyPart(r.repository), r.requestsLeft ?? PRIOR_PER_REPOSITORY]) });
}

/** Sets `repository`'s figure, or takes it out (`requestsLeft` undefined). */
export async function updateCarried(store: KeyValueStore, repository: string, requestsLeft: number | undefined): Promise<void> {
  if (requestsLeft === undefined) return dropCarried(store, [repository]);
  const parsed = Carried.safeParse(await store.get(KEY));
  const own = keyPart(repository);
  const records = (parsed.success ? parsed.data.records : []).filter(([key]) => key !== own);
  records.push([own, requestsLeft]);
  await store.set(KEY, { at: parsed.success ? parsed.data.at : 0, records });
}

/** Takes `repositories` out (ended, or cancelled from the page); writes nothing when none is listed. */
export async function dropCarried(store: KeyValueStore, repositories: string[]): Promise<void> {
  const parsed = Carried.safeParse(await store.get(KEY));
  if (!parsed.success) return;
  const gone = new Set(repositories.map(keyPart));
  const records = parsed.data.records.filter(([key]) => !gone.has(key));
  if (records.length < parsed.data.records.length) await store.set(KEY, { ...parsed.data, records });
}

/** The requests the other carried records expect to make; none known: an empty list (the repository's own pace alone). */
export async function othersCarried(store: KeyValueStore, repository: string): Promise<number[]> {
  const parsed = Carried.safeParse(await store.get(KEY));
  if (!parsed.success) return [];
  const own = keyPart(repository);
  return parsed.data.records.filter(([key]) => key !== own).map(([, requests]) => requests);
}
