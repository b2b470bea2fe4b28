import { z } from 'zod';
import { entryDate } from '../backfill/phases/activity';
import type { CloudClient } from '../enrich/cloud/client';
import { isNextRequest, type CloudRequest } from '../enrich/cloud/endpoints';
import { ActivityPage, type ActivityEntry } from '../enrich/cloud/schema';

// A repository's activity log, read newest first down to the watermark. A pass reads a bounded number
// of pages (its time and the request budget are bounded); when more happened since the watermark (an
// outage, a paused destination, a bulk bot), the rest is owed: the next page's link and how far down
// it must go are kept, and later passes read on from there after reading the top. Newest-first
// offsets only grow as entries are added, so a kept link re-reads a few entries and never skips one.
// A pass short of time (`stop`) owes the rest the same way: at least the top's first page is read,
// since only a next page's link can be kept.

export const ActivityBacklog = z.object({ next: z.string(), floor: z.number() });
export type ActivityBacklog = z.infer<typeof ActivityBacklog>;

/** Pages one pass reads at most, the top and the backlog together. */
export const ACTIVITY_PAGES = 20;

export interface ActivityRead {
  entries: ActivityEntry[];
  /** What is still owed after this pass. */
  backlog?: ActivityBacklog;
  /** The oldest instant this pass read down to: pull requests updated since then are looked up. */
  since: number;
  /**
   * What the top alone covers: its entries (the first `recent` of `entries`) and the instant they go
   * down to. The rest, when an earlier pass owed some, is older and may name pull requests updated
   * long before the top's.
   */
  top: { recent: number; since: number };
}

/** `stop`: asked before each next page with the entries read so far; true leaves the rest owed. */
export type StopReading = (entries: ActivityEntry[]) => boolean;

export async function readActivity(client: CloudClient, params: { workspace: string; repo_slug: string }, watermark: number, owed: ActivityBacklog | undefined, stop: StopReading = () => false): Promise<ActivityRead> {
  const top = await readDown(client, { endpoint: 'pullRequestsActivity', params, query: { pagelen: 50 } }, watermark, ACTIVITY_PAGES, stop);
  const floor = Math.min(watermark, owed?.floor ?? watermark);
  // The top alone filled the pass: its continuation goes down to the lowest floor still owed, which
  // covers an older backlog's range too.
  if (top.next) {
    const since = oldest(top.entries, watermark);
    return { entries: top.entries, backlog: { next: top.next, floor }, since, top: { recent: top.entries.length, since } };
  }
  const whole = { recent: top.entries.length, since: watermark };
  if (!owed) return { entries: top.entries, since: watermark, top: whole };
  const rest = await readDown(client, { next: owed.next }, owed.floor, ACTIVITY_PAGES - top.pages, (entries) => stop([...top.entries, ...entries]));
  const entries = [...top.entries, ...rest.entries];
  return { entries, ...(rest.next ? { backlog: { next: rest.next, floor: owed.floor } } : {}), since: rest.next ? oldest(entries, watermark) : owed.floor, top: whole };
}

async function readDown(client: CloudClient, first: CloudRequest, floor: number, maxPages: number, stop: StopReading): Promise<{ entries: ActivityEntry[]; next?: string; pages: number }> {
  const entries: ActivityEntry[] = [];
  let request: CloudRequest | undefined = first;
  let pages = 0;
  while (request && pages < maxPages && !(isNextRequest(request) && stop(entries))) {
    const page: z.infer<typeof ActivityPage> = await client.get(request, ActivityPage);
    pages++;
    const fresh = page.values.filter((entry) => Date.parse(entryDate(entry)) >= floor);
    entries.push(...fresh);
    request = fresh.length === page.values.length && page.next ? { next: page.next } : undefined;
  }
  return { entries, pages, ...(request && isNextRequest(request) ? { next: request.next } : {}) };
}

function oldest(entries: ActivityEntry[], fallback: number): number {
  return entries.reduce((min, entry) => Math.min(min, Date.parse(entryDate(entry))), fallback);
}
