import { z } from 'zod';
import type { Logger } from '../../core/ports';

// A branch or tag listing stops at its page cap so a misbehaving instance cannot page forever. Cut
// there, the branches and tags past it are never compared, and their pushes never reach PanDev: the
// cut is kept in the repository's cursor for `status` until a listing reads to its end, and logged
// when it starts (every pass meets it again; the log would repeat it every minute).

export const REF_PAGE = 100;
export const REF_MAX_PAGES = 50;

type RefList = 'branches' | 'tags';

/** How far a listing got this pass: to its end, or cut at the cap after this many refs. */
export type ListingEnd = 'whole' | number;
export type RefListings = Partial<Record<RefList, ListingEnd>>;

export const RefsCut = z.object({ at: z.number(), branches: z.number().optional(), tags: z.number().optional() });
export type RefsCut = z.infer<typeof RefsCut>;

/**
 * The cut after this pass: a listing read to its end clears its part, one cut sets it, and one not
 * read (or stopped early, having found what it looked for) leaves it as it was.
 */
export function nextRefsCut(previous: RefsCut | undefined, listings: RefListings, now: number, log: Logger, repository: string): RefsCut | undefined {
  const next: RefsCut = { at: previous?.at ?? now };
  for (const list of ['branches', 'tags'] as const) {
    const end = listings[list];
    const read = end === undefined ? previous?.[list] : end === 'whole' ? undefined : end;
    if (read === undefined) continue;
    next[list] = read;
    if (previous?.[list] === undefined) log.warn({ repository, read, pages: REF_MAX_PAGES }, refsCutMessage(list, read));
  }
  if (next.branches === undefined && next.tags === undefined) return undefined;
  return next;
}

/** What a cut listing means and what to change; for the log and for `status`. */
export function refsCutMessage(list: RefList, read: number): string {
  const what = list === 'branches' ? 'branch' : 'tag';
  return `the ${what} listing stopped at its cap of ${REF_MAX_PAGES} pages after ${read} ${list}, with more to come: ${list} past them are not compared, and their pushes are not sent to PanDev. If an administrator lowered page.max.${list} (bitbucket.properties) below ${REF_PAGE}, raise it back to ${REF_PAGE}; otherwise delete ${list} no longer used`;
}
