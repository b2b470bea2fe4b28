import { z } from 'zod';
import type { Logger } from '../../core/ports';

// A repository's pull-request list stops at its page cap so a misbehaving instance cannot page forever.
// Cut there, the pull requests past it are read on by the next passes (pull-requests.ts): the cursor
// keeps where the cut stopped (`start`, `lastRead`) and the highest update read above it (`head`), and
// the watermark stays where it was until the read-on reaches it, so nothing past the cut is lost. It is
// shown by `status` while a part is unread (it reaches PanDev late), and logged when it starts.
//
// An instance seen listing by creation (list-order.ts) reads its whole list every pass, and a cut there
// is not read on (every pass would spend its pages on the head again): such a record has no `start`,
// says what is missed, and is shown for a day after the last pass that met it. So are records written
// before the read-on existed: their watermark moved on already.

export const PULL_REQUEST_PAGE = 100;
export const PULL_REQUEST_MAX_PAGES = 2000;
/** How long `status` shows a cut that is not read on, after the last pass that met it. */
export const PULL_REQUESTS_CUT_SHOWN_MS = 24 * 3_600_000;

export const PullRequestsCut = z.object({
  /** The first pass that met it, of passes a day or less apart (or while it was read on). */
  at: z.number(),
  /** The latest pass that met it. */
  lastAt: z.number(),
  /** How many pull requests that pass read before the cap. */
  read: z.number(),
  /** The page cap it met: PULL_REQUEST_MAX_PAGES when absent (records before it was kept). */
  pages: z.number().optional(),
  /** The last update (epoch ms) of the last pull request it read: those past it in the list come after. */
  lastRead: z.number(),
  /** The list offset the next pass reads on from; absent: not read on (see above). */
  start: z.number().optional(),
  /** The highest update read above the cut: the next pass's head read stops there, not at the watermark. */
  head: z.number().optional(),
  /**
   * Met by the backfill, the highest update it read: what the read-on finds updated up to then is history
   * too, and is sent as such, even once a later pass's own cut (news) took the record over.
   */
  backfill: z.number().optional(),
});
export type PullRequestsCut = z.infer<typeof PullRequestsCut>;

/** What one pull-request read met: its cut, or none (it read to its end, or to the watermark). */
export interface ListEnd {
  read: number;
  pages: number;
  lastRead: number;
  /** Set when the part past the cut is read on by the next pass. */
  start?: number;
  head?: number;
  backfill?: number;
}

/** The part of the list still to be read on, if any. */
export function unreadPart(cut: PullRequestsCut | undefined): (PullRequestsCut & { start: number; head: number }) | undefined {
  return cut?.start !== undefined && cut.head !== undefined ? { ...cut, start: cut.start, head: cut.head } : undefined;
}

/** Whether `status` shows it: while it is read on, or for a day after a cut that is not. */
export function pullRequestsCutShown(cut: PullRequestsCut, now: number): boolean {
  return unreadPart(cut) !== undefined || now - cut.lastAt < PULL_REQUESTS_CUT_SHOWN_MS;
}

/**
 * The record after a pass that read the pull requests: a cut refreshes it; a pass that read on to the
 * watermark clears it; one that read its list whole lets a cut that is not read on age out.
 */
export function nextPullRequestsCut(previous: PullRequestsCut | undefined, cut: ListEnd | undefined, now: number, log: Logger, repository: string): PullRequestsCut | undefined {
  const pending = unreadPart(previous);
  if (!cut) {
    if (pending) log.info({ repository, since: new Date(pending.at).toISOString() }, 'the pull requests past the list cap were read on to where the pass before the cut stopped: nothing of them is missing');
    return pending ? undefined : previous && now - previous.lastAt < PULL_REQUESTS_CUT_SHOWN_MS ? previous : undefined;
  }
  const current = pending ?? (previous && now - previous.lastAt < PULL_REQUESTS_CUT_SHOWN_MS ? previous : undefined);
  const next: PullRequestsCut = { at: current?.at ?? now, lastAt: now, read: cut.read, pages: cut.pages, lastRead: cut.lastRead, ...(cut.start !== undefined ? { start: cut.start, head: cut.head } : {}), ...(cut.backfill !== undefined ? { backfill: cut.backfill } : {}) };
  if (!current) log.warn({ repository, read: cut.read, pages: cut.pages }, pullRequestsCutMessage(next));
  return next;
}

/** What the cut means and what to change; for the log and for `status`. */
export function pullRequestsCutMessage(cut: PullRequestsCut): string {
  const stopped = `the pull-request list stopped at its cap of ${cut.pages ?? PULL_REQUEST_MAX_PAGES} pages after ${cut.read} pull requests, with more to come (the last one read was updated ${new Date(cut.lastRead).toISOString()})`;
  const lowered = `an administrator lowered page.max.* (bitbucket.properties) below ${PULL_REQUEST_PAGE}, raise it back to ${PULL_REQUEST_PAGE}`;
  if (unreadPart(cut)) {
    return `${stopped}: the pull requests past them are being read on from there, pass after pass, so what changed on them (openings, reviews, comments, merges) reaches PanDev later, not never; this clears once the read-on reaches where the pass before the cut stopped. To speed it up: if ${lowered}; turn on Data Center webhooks (BRIDGE_WEBHOOK_SECRET), which bring each change as it happens without the list; and give a backfill a narrower window (BRIDGE_BACKFILL_DAYS)`;
  }
  return `${stopped}: the pull requests past them are not read, so what changed on them since the pass before (openings, reviews, comments, merges) is not sent to PanDev, and later passes do not go back for it. If ${lowered}; otherwise turn on Data Center webhooks (BRIDGE_WEBHOOK_SECRET), which bring each change as it happens without the list, and give a backfill a narrower window (BRIDGE_BACKFILL_DAYS); and look in Bitbucket at the pull requests the list did not reach for what PanDev is missing`;
}
