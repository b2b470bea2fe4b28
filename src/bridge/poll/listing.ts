import { z } from 'zod';
import { kvKey } from '../../core/keys';
import { keptRecord } from '../state/kept-record';

// A pass that cannot list the repositories polls none, and keeps no repository's cursor to say so: the
// failure is kept here for `status` until a listing succeeds (a token that lost its scope or its
// workspace otherwise left `status` saying nothing needs attention while nothing was polled).

export const ListingFailure = z.object({ at: z.number(), error: z.string() });
export type ListingFailure = z.infer<typeof ListingFailure>;

const failure = keptRecord(kvKey('bridge', 'listing-failure'), ListingFailure);
/** The failure of this pass's listing, or none (the listing succeeded). */
export const recordListing = failure.keep;
export const listingFailure = failure.read;

// A listing cut short at its page cap polls only the repositories it read: kept for `status` until a
// listing reads them all (the log line alone scrolls away).

/** `edition` absent: a Data Center bridge's (kept before Cloud's listing reported its cut). */
export const ListingCut = z.object({ at: z.number(), read: z.number(), edition: z.enum(['datacenter', 'cloud']).optional() });
export type ListingCut = z.infer<typeof ListingCut>;

const cut = keptRecord(kvKey('bridge', 'listing-cut'), ListingCut);
/** This listing's cut, or none (it read every page). */
export const recordListingCut = cut.keep;
export const listingCut = cut.read;

/** Cloud answers 100 a page at most: 20,000 repositories, past which a pass would spend its hour listing. */
export const CLOUD_LIST_MAX_PAGES = 200;

/** What a Cloud listing cut short means and what to change; for the log and for `status`. */
export function cloudListingCutMessage(read: number): string {
  // BITBUCKET_PROJECTS and BRIDGE_SHARD choose among the listed repositories: they do not shorten the listing.
  return `the repository listing stopped at its cap of ${CLOUD_LIST_MAX_PAGES} pages after ${read} repositories, with more to come: repositories past them are not polled. Give each bridge a token that reads fewer repositories (a project access token, one bridge per project), or install the Forge app in this workspace instead`;
}
