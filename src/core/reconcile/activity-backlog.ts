import { z } from 'zod';
import { activityEntries, entryChangedAt, entryDate, type MalformedEntry } from '../backfill/phases/activity';
import type { CloudClient } from '../enrich/cloud/client';
import { isNextRequest, type CloudRequest } from '../enrich/cloud/endpoints';
import { Page, type ActivityEntry } from '../enrich/cloud/schema';
import { CLOCK_ALLOWANCE_MS, isNews } from './clock-allowance';

// A repository's activity log, read newest first down to the watermark. A pass reads a bounded number
// of pages (its time and the request budget are bounded); when more happened since the watermark (an
// outage, a paused destination, a bulk bot), the rest is owed: the next page's link and how far down
// it must go are kept, and later passes read on from there after reading the top. Newest-first
// offsets only grow as entries are added, so a kept link re-reads a few entries and never skips one.
// A pass short of time (`stop`) owes the rest the same way: at least the top's first page is read,
// since only a next page's link can be kept. The top reads on into the overlap below the watermark
// (clock-allowance.ts), but takes from it only what the pass before did not see, and stops at a page
// that holds nothing else: what came late is dated seconds before the watermark, near the top of it.

export const ActivityBacklog = z.object({ next: z.string(), floor: z.number() });
export type ActivityBacklog = z.infer<typeof ActivityBacklog>;

/** Pages one pass reads at most, the top and the backlog together. */
export const ACTIVITY_PAGES = 20;

export interface ActivityRead {
  /** The news: the top's (after the watermark, or unseen in the overlap), then the rest owed. */
  entries: ActivityEntry[];
  /** Every entry the top read, news or not: the next pass's overlap is told by them. */
  scanned: ActivityEntry[];
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
  /** Each entry in an unexpected shape, left out: it would otherwise fail its page, and with it every pass. */
  malformed: MalformedEntry[];
}

/** `stop`: asked before each next page with the entries read so far; true leaves the rest owed. */
export type StopReading = (entries: ActivityEntry[]) => boolean;

/** `seen`: the keys of the entries the pass before read in this one's overlap. */
export async function readActivity(client: CloudClient, params: { workspace: string; repo_slug: string }, watermark: number, owed: ActivityBacklog | undefined, stop: StopReading = () => false, seen: ReadonlySet<string> = new Set()): Promise<ActivityRead> {
  const overlap = watermark - CLOCK_ALLOWANCE_MS;
  const news = (entry: ActivityEntry) => isNews(entry, watermark, seen);
  const allSeen = (page: ActivityEntry[]) => !page.some(news);
  const top = await readDown(client, { endpoint: 'pullRequestsActivity', params, query: { pagelen: 50 } }, overlap, ACTIVITY_PAGES, (entries) => stop(entries.filter(news)), allSeen);
  const topNews = top.entries.filter(news);
  const floor = Math.min(overlap, owed?.floor ?? overlap);
  // The top alone filled the pass: its continuation goes down to the lowest floor still owed, which
  // covers an older backlog's range too.
  if (top.next) {
    const since = oldest(top.entries, overlap);
    return { entries: topNews, scanned: top.entries, backlog: { next: top.next, floor }, since, top: { recent: topNews.length, since }, malformed: top.malformed };
  }
  const whole = { recent: topNews.length, since: overlap };
  if (!owed) return { entries: topNews, scanned: top.entries, since: overlap, top: whole, malformed: top.malformed };
  const rest = await readDown(client, { next: owed.next }, owed.floor, ACTIVITY_PAGES - top.pages, (entries) => stop([...topNews, ...entries]));
  const entries = [...topNews, ...rest.entries];
  const malformed = [...top.malformed, ...rest.malformed];
  return { entries, scanned: top.entries, ...(rest.next ? { backlog: { next: rest.next, floor: owed.floor } } : {}), since: rest.next ? oldest(entries, overlap) : owed.floor, top: whole, malformed };
}

/** `enough`: asked of each page's entries above the floor; true reads no further, as if the floor were reached. */
async function readDown(client: CloudClient, first: CloudRequest, floor: number, maxPages: number, stop: StopReading, enough: (page: ActivityEntry[]) => boolean = () => false): Promise<{ entries: ActivityEntry[]; next?: string; pages: number; malformed: MalformedEntry[] }> {
  const entries: ActivityEntry[] = [];
  const malformed: MalformedEntry[] = [];
  let request: CloudRequest | undefined = first;
  let pages = 0;
  while (request && pages < maxPages && !(isNextRequest(request) && stop(entries))) {
    const page: z.infer<typeof RawPage> = await client.get(request, RawPage);
    pages++;
    const read = activityEntries(page.values);
    // Undated, an entry left out says nothing of where the floor is: the page's others decide.
    malformed.push(...read.malformed);
    const fresh = read.entries.filter((entry) => Date.parse(entryDate(entry)) >= floor);
    // Below the floor the log holds what was made earlier, yet a comment there may have been edited or
    // deleted since: on the page read anyway, it is taken too (one deeper is not read for it).
    const changed = read.entries.filter((entry) => Date.parse(entryDate(entry)) < floor && entryChangedAt(entry) >= floor);
    entries.push(...fresh, ...changed);
    request = fresh.length === read.entries.length && page.next && !enough(fresh) ? { next: page.next } : undefined;
  }
  return { entries, pages, malformed, ...(request && isNextRequest(request) ? { next: request.next } : {}) };
}

const RawPage = Page(z.unknown());

function oldest(entries: ActivityEntry[], fallback: number): number {
  return entries.reduce((min, entry) => Math.min(min, entryChangedAt(entry)), fallback);
}
