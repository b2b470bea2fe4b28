import { z } from 'zod';
import type { Logger } from '../../core/ports';

// A repository's pull-request list stops at its page cap so a misbehaving instance cannot page forever.
// Cut there, the pull requests past it are not read that pass, and the watermark moves past them all
// the same: what changed on them is never sent to PanDev. Only a person can look, so it is kept in the
// repository's cursor and shown by `status` for a day after the last pass that met it (the next pass
// reads to its end again, which proves nothing about what was missed), and logged when it starts.

export const PULL_REQUEST_PAGE = 100;
export const PULL_REQUEST_MAX_PAGES = 2000;
/** How long `status` shows a cut after the last pass that met it. */
export const PULL_REQUESTS_CUT_SHOWN_MS = 24 * 3_600_000;

export const PullRequestsCut = z.object({
  /** The first pass that met it, of passes a day or less apart. */
  at: z.number(),
  /** The latest pass that met it. */
  lastAt: z.number(),
  /** How many pull requests that pass read before the cap. */
  read: z.number(),
  /** The last update (epoch ms) of the last pull request it read: those past it in the list come after. */
  lastRead: z.number(),
});
export type PullRequestsCut = z.infer<typeof PullRequestsCut>;

/** What one pull-request read met: its cut, or none (it read to its end, or to the watermark). */
export interface ListEnd {
  read: number;
  lastRead: number;
}

/** The record after a pass that read the pull requests: a cut refreshes it, a whole read lets it age out. */
export function nextPullRequestsCut(previous: PullRequestsCut | undefined, cut: ListEnd | undefined, now: number, log: Logger, repository: string): PullRequestsCut | undefined {
  const current = previous && now - previous.lastAt < PULL_REQUESTS_CUT_SHOWN_MS ? previous : undefined;
  if (!cut) return current;
  const next: PullRequestsCut = { at: current?.at ?? now, lastAt: now, read: cut.read, lastRead: cut.lastRead };
  if (!current) log.warn({ repository, read: cut.read, pages: PULL_REQUEST_MAX_PAGES }, pullRequestsCutMessage(next));
  return next;
}

/** What the cut means and what to change; for the log and for `status`. */
export function pullRequestsCutMessage(cut: PullRequestsCut): string {
  return `the pull-request list stopped at its cap of ${PULL_REQUEST_MAX_PAGES} pages after ${cut.read} pull requests, with more to come (the last one read was updated ${new Date(cut.lastRead).toISOString()}): the pull requests past them are not read, so what changed on them since the pass before (openings, reviews, comments, merges) is not sent to PanDev, and later passes do not go back for it. If an administrator lowered page.max.* (bitbucket.properties) below ${PULL_REQUEST_PAGE}, raise it back to ${PULL_REQUEST_PAGE}; otherwise turn on Data Center webhooks (BRIDGE_WEBHOOK_SECRET), which bring each change as it happens without the list, and give a backfill a narrower window (BRIDGE_BACKFILL_DAYS); and look in Bitbucket at the pull requests the list did not reach for what PanDev is missing`;
}
