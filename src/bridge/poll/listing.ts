import { z } from 'zod';
import { kvKey } from '../../core/keys';
import type { KeyValueStore } from '../../core/ports';

// A pass that cannot list the repositories polls none, and keeps no repository's cursor to say so: the
// failure is kept here for `status` until a listing succeeds (a token that lost its scope or its
// workspace otherwise left `status` saying nothing needs attention while nothing was polled).

export const ListingFailure = z.object({ at: z.number(), error: z.string() });
export type ListingFailure = z.infer<typeof ListingFailure>;

const KEY = kvKey('bridge', 'listing-failure');

/** The failure of this pass's listing, or none (the listing succeeded). */
export async function recordListing(store: KeyValueStore, failure: ListingFailure | undefined): Promise<void> {
  if (failure) await store.set(KEY, failure);
  else await store.delete(KEY);
}

export async function listingFailure(store: KeyValueStore): Promise<ListingFailure | undefined> {
  const parsed = ListingFailure.safeParse(await store.get(KEY));
  return parsed.success ? parsed.data : undefined;
}

// A listing cut short at its page cap polls only the repositories it read: kept for `status` until a
// listing reads them all (the log line alone scrolls away).

export const ListingCut = z.object({ at: z.number(), read: z.number() });
export type ListingCut = z.infer<typeof ListingCut>;

const CUT_KEY = kvKey('bridge', 'listing-cut');

/** This listing's cut, or none (it read every page). */
export async function recordListingCut(store: KeyValueStore, cut: ListingCut | undefined): Promise<void> {
  if (cut) await store.set(CUT_KEY, cut);
  else await store.delete(CUT_KEY);
}

export async function listingCut(store: KeyValueStore): Promise<ListingCut | undefined> {
  const parsed = ListingCut.safeParse(await store.get(CUT_KEY));
  return parsed.success ? parsed.data : undefined;
}
