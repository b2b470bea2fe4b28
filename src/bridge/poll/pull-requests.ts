import { z } from 'zod';
import { pullRequestEvents, type DcSource, type PullRequestMemory } from '../../core/enrich/datacenter/pull-request-events';
import { Activity, epochMs, PullRequest, type Repository } from '../../core/enrich/datacenter/schema';
import { BitbucketError, errorMessage } from '../../core/errors';
import { stageAndQueue, type PollDeps } from './deps';
import { dcNamed, readable } from './left-out';
import { provesUpdateOrder, risesWithin } from './list-order';
import { PULL_REQUEST_MAX_PAGES as MAX_LIST_PAGES, PULL_REQUEST_PAGE as PAGE, unreadPart, type ListEnd } from './pull-requests-cut';
import type { PullRequestState, RepositoryCursor } from './state';

// One repository's pull requests, newest first (`state=ALL&order=NEWEST` sorts by last update), down to
// the first one not updated since the watermark: an idle repository costs one request. An instance seen
// sorting by creation instead has its whole list read, the unchanged pull requests passed over (see
// list-order.ts). Only changed pull requests have their activities read. One that answers 500 or
// malformed JSON is set aside with its reason and tried again on every pass; it never stops the rest.
// A list cut at its page cap leaves the watermark where it was, and the next passes read on past the cut
// after their own head read (pull-requests-cut.ts), until the read-on reaches the watermark.

/** Updates committed just before a pass read the list can carry an earlier time than what it saw. */
const OVERLAP_MS = 5 * 60_000;
const FIRST_PAGE = 25;
const MAX_ACTIVITY_PAGES = 50;

export interface PullRequestPass {
  watermark: number;
  staged: number;
  changed: number;
  failed: Array<{ id: number; reason: string }>;
  /** The list stopped at its page cap with more to come (pull-requests-cut.ts). */
  cut?: ListEnd;
}

const Listed = z.looseObject({ id: z.number().int() });

/** One scan of the list: where it stopped, or where the cap cut it. */
interface Scan {
  /** The highest update read at or above the floor. */
  top: number;
  lastRead: number;
  capped?: { read: number; next: number };
  /** The first page proved the unread part moved up past the offset asked for (its length): ask again from higher up. */
  shifted?: number;
}

interface ScanPlan {
  start: number;
  /** Whether a pull request updated then ends the scan (the list comes newest first). */
  below: (updated: number) => boolean;
  /** The first page's first pull request must be newer than this, or the scan starts higher up. */
  after?: number;
  /** Pull requests updated up to this are the backfill's history (a cut it met, read on later). */
  history?: number;
}

const maxListPages = (deps: PollDeps) => deps.pullRequestPages ?? MAX_LIST_PAGES;

export async function pollPullRequests(repository: Repository, cursor: RepositoryCursor, deps: PollDeps): Promise<PullRequestPass> {
  const source: DcSource = { instance: deps.instance, repository, origin: cursor.lastSuccessAt ? 'poll' : 'backfill' };
  const result: PullRequestPass = { watermark: cursor.watermark, staged: 0, changed: 0, failed: [] };
  const tried = new Set<number>();
  const readAll = await deps.listOrder.readAll();
  // Read by creation the whole list is read every pass: a cut there is not read on (pull-requests-cut.ts).
  const rest = readAll ? undefined : unreadPart(cursor.pullRequestsCut);
  const floor = cursor.watermark - OVERLAP_MS;
  // With a part past a cut unread, the head stops where the cut began (what is older is the read-on's).
  const headFloor = rest ? rest.head - OVERLAP_MS : floor;
  const head = await scanList(repository, cursor, source, { start: 0, below: (u) => u < headFloor || (rest !== undefined && u <= rest.lastRead) }, tried, result, deps);
  const top = Math.max(head.top, rest?.head ?? cursor.watermark);
  // What lies past a cut met by the backfill stays the backfill's until read on to its end.
  const backfill = source.origin === 'backfill' ? top : rest?.backfill;
  if (head.capped) {
    const cut = { read: head.capped.read, pages: maxListPages(deps), lastRead: head.lastRead };
    // Listed by creation, the watermark moves as before: the cut is reported, not read on.
    if (readAll) {
      result.watermark = Math.max(cursor.watermark, head.top);
      result.cut = cut;
    } else {
      result.cut = { ...cut, start: head.capped.next, head: top, ...(backfill !== undefined ? { backfill } : {}) };
    }
  } else if (rest) {
    const on = await readOn(repository, cursor, source, rest, floor, tried, result, deps);
    if (on.capped) result.cut = { read: on.capped.read, pages: maxListPages(deps), lastRead: on.lastRead, start: on.capped.next, head: top, ...(backfill !== undefined ? { backfill } : {}) };
    else result.watermark = Math.max(cursor.watermark, top, on.top);
  } else {
    result.watermark = Math.max(cursor.watermark, head.top);
  }
  await retryFailed(repository, source, cursor, tried, result, deps);
  return result;
}

/**
 * The part past a cut, from where it stopped down to the watermark. The list shifted since: updated pull
 * requests moved to its front and new ones came in (which pushes the unread part down: the read-on
 * passes again over a few read already, and skips them as unchanged), and deleted ones left it (which
 * pulls it up past the offset). So the read starts one before the offset, and higher up again until the
 * first pull request it meets is newer than the last one the cut read.
 */
async function readOn(repository: Repository, cursor: RepositoryCursor, source: DcSource, rest: { start: number; lastRead: number; backfill?: number }, floor: number, tried: Set<number>, result: PullRequestPass, deps: PollDeps): Promise<Scan> {
  let start = Math.max(0, rest.start - 1);
  // Doubled each time, so a list that lost many pull requests costs a few requests, not one per loss.
  let back = 1;
  for (;;) {
    const scan = await scanList(repository, cursor, source, { start, below: (u) => u < floor, history: rest.backfill, ...(start > 0 ? { after: rest.lastRead } : {}) }, tried, result, deps);
    if (scan.shifted === undefined) return scan;
    back = Math.max(back * 2, scan.shifted);
    start = Math.max(0, start - back);
  }
}

async function scanList(repository: Repository, cursor: RepositoryCursor, source: DcSource, plan: ScanPlan, tried: Set<number>, result: PullRequestPass, deps: PollDeps): Promise<Scan> {
  const repo = String(repository.id);
  const params = { projectKey: repository.project.key, repositorySlug: repository.slug };
  const list = { endpoint: 'pullRequests' as const, params, query: { state: 'ALL', order: 'NEWEST' } };
  let readAll = await deps.listOrder.readAll();
  const scan: Scan = { top: -Infinity, lastRead: cursor.watermark };
  let first = true;
  const paging = { limit: PAGE, maxPages: maxListPages(deps), start: plan.start, onCapped: (read: number, next: number) => (scan.capped = { read, next }) };
  read: for await (const page of deps.client.pages(list, z.unknown(), plan.start === 0 ? { ...paging, firstLimit: FIRST_PAGE } : paging)) {
    if (first && plan.after !== undefined) {
      const newest = page.map((raw) => PullRequest.safeParse(raw)).find((parsed) => parsed.success)?.data;
      // No page at all: deletions left the list ending above the offset, with the unread part moved up too.
      if (newest ? epochMs(newest.updatedDate) <= plan.after : page.length === 0) {
        scan.shifted = Math.max(1, page.length);
        break read;
      }
    }
    first = false;
    // The order checks belong to the head read: a page read on from an offset proves nothing of the front.
    if (plan.start === 0) {
      // The whole answer is checked, not only down to where the scan stops: it is read already.
      if (!readAll && risesWithin(page)) {
        readAll = true;
        await deps.listOrder.sawCreationOrder(`${repository.project.key}/${repository.slug}`);
      } else if (readAll && provesUpdateOrder(page)) {
        // This pass still reads the whole list; the next ones stop early again.
        await deps.listOrder.sawUpdateOrder(`${repository.project.key}/${repository.slug}`);
      }
    }
    for (const raw of page) {
      const parsed = PullRequest.safeParse(raw);
      if (!parsed.success) {
        const id = Listed.safeParse(raw);
        const reason = `malformed pull request in the list (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`;
        if (id.success && !tried.has(id.data.id)) result.failed.push({ id: id.data.id, reason });
        if (id.success) tried.add(id.data.id);
        continue;
      }
      const pr = parsed.data;
      const updated = epochMs(pr.updatedDate);
      scan.lastRead = updated;
      if (plan.below(updated)) {
        if (readAll) continue;
        break read;
      }
      scan.top = Math.max(scan.top, updated);
      // The head and the read-on can meet the same pull request when the list shifted between them.
      if (tried.has(pr.id)) continue;
      const known = await deps.state.pullRequest(repo, pr.id);
      if (known?.u === updated && settled(pr, known)) continue;
      tried.add(pr.id);
      const from: DcSource = plan.history !== undefined && updated <= plan.history ? { ...source, origin: 'backfill' } : source;
      const outcome = await attempt(() => processPullRequest(from, pr, known, cursor.since, deps));
      if (typeof outcome === 'string') result.failed.push({ id: pr.id, reason: outcome });
      else {
        // A second look that found nothing is no sign the repository is being worked on.
        if (known?.u !== updated || outcome > 0) result.changed++;
        result.staged += outcome;
      }
    }
  }
  return scan;
}

/**
 * Whether a pull request whose updatedDate is the one last processed has nothing new. Data Center 10
 * prints updatedDate to the second (an ISO string): a change made later in the second that pass read
 * it leaves it as it was. So such a pull request is read again (its activities down to the last one
 * processed: usually one request) until a read came well after that second, OVERLAP_MS allowing for
 * the bridge's clock running ahead of Bitbucket's. State saved before `t` existed counts as settled.
 */
function settled(pr: PullRequest, known: PullRequestState): boolean {
  return typeof pr.updatedDate === 'number' || known.t === undefined || known.t - epochMs(pr.updatedDate) > OVERLAP_MS;
}

/** Pull requests set aside by earlier passes, each read on its own (the list may not reach them). */
async function retryFailed(repository: Repository, source: DcSource, cursor: RepositoryCursor, tried: Set<number>, result: PullRequestPass, deps: PollDeps): Promise<void> {
  const repo = String(repository.id);
  const params = { projectKey: repository.project.key, repositorySlug: repository.slug };
  const now = deps.ctx.clock.now();
  const failedNow = new Map(result.failed.map((f) => [f.id, f.reason]));
  for (const record of await deps.state.retries(repo)) {
    if (failedNow.has(record.id)) continue;
    if (tried.has(record.id)) {
      await deps.state.clearRetry(repo, record.id);
      continue;
    }
    const outcome = await attempt(async () => {
      const pr = await deps.client.get({ endpoint: 'pullRequest', params: { ...params, pullRequestId: record.id } }, PullRequest).catch((error: unknown) => {
        if (error instanceof BitbucketError && error.kind === 'not-found') return undefined;
        throw error;
      });
      // Deleted since (only a webhook reports pr:deleted): nothing is left to read.
      if (!pr) return GONE;
      return processPullRequest(source, pr, await deps.state.pullRequest(repo, pr.id), cursor.since, deps);
    });
    if (outcome === GONE) {
      await deps.state.clearRetry(repo, record.id);
      deps.log.info({ repository: `${repository.project.key}/${repository.slug}`, pullRequest: record.id }, 'a pull request set aside earlier no longer exists; it is not tried again');
    } else if (typeof outcome === 'string') {
      failedNow.set(record.id, outcome);
      result.failed.push({ id: record.id, reason: outcome });
    } else {
      result.staged += outcome;
      await deps.state.clearRetry(repo, record.id);
      deps.log.info({ repository: `${repository.project.key}/${repository.slug}`, pullRequest: record.id, after: record.failures }, 'a pull request set aside earlier was read this time');
    }
  }
  for (const [id, reason] of failedNow) {
    const previous = (await deps.state.retries(repo)).find((r) => r.id === id);
    await deps.state.saveRetry(repo, { id, reason, failures: (previous?.failures ?? 0) + 1, firstAt: previous?.firstAt ?? now, lastAt: now });
    deps.log.warn({ repository: `${repository.project.key}/${repository.slug}`, pullRequest: id, reason }, 'pull request skipped; it is tried again next pass');
  }
}

/** The pull request's new activities, staged; answers how many deliveries were staged. */
async function processPullRequest(source: DcSource, pr: PullRequest, known: PullRequestState | undefined, since: number, deps: PollDeps): Promise<number> {
  const repo = String(source.repository.id);
  const params = { projectKey: source.repository.project.key, repositorySlug: source.repository.slug, pullRequestId: pr.id };
  const fresh: Activity[] = [];
  // Pages are read by offset: an activity added meanwhile moves the rest down a place, and the next page
  // starts with the last one read. Read twice, a change versioned by its second would be counted twice in
  // it (core/change/same-second.ts) and reach PanDev as a change of its own.
  const met = new Set<number>();
  let newest = known?.a ?? 0;
  let cut: number | undefined;
  // Activities come newest first: read until the last one already processed, or the window's start.
  read: for await (const page of deps.client.pages({ endpoint: 'activities', params }, z.unknown(), { limit: PAGE, maxPages: MAX_ACTIVITY_PAGES, onCapped: (read) => (cut = read) })) {
    for (const activity of await readable(page, Activity, dcNamed.activity(pr.id), source.repository, deps)) {
      if (known && activity.id <= known.a) break read;
      if (epochMs(activity.createdDate) < since) break read;
      if (met.has(activity.id)) continue;
      met.add(activity.id);
      newest = Math.max(newest, activity.id);
      fresh.push(activity);
    }
  }
  // The older activities past the cap are never read: the next pass reads down to the newest one only.
  if (cut !== undefined) await noteActivitiesCut(source.repository, pr.id, cut, deps);
  fresh.reverse();
  const { events, memory } = pullRequestEvents(source, pr, fresh, known?.m as PullRequestMemory | undefined, known?.c);
  const staged = await stageAndQueue(events, deps);
  // Kept until merged: a declined pull request can be reopened, and edited or reviewed again after. A
  // merged one's comments can still be edited, twice in a second across two passes: its counts stay.
  const updated = epochMs(pr.updatedDate);
  const firstSeen = known ? known.f : updated;
  const kept = pr.state !== 'MERGED' ? { m: memory } : memory.counts ? { c: memory.counts } : {};
  await deps.state.savePullRequest(repo, pr.id, { u: updated, a: newest, t: deps.ctx.clock.now(), ...kept, ...(firstSeen !== undefined ? { f: firstSeen } : {}) });
  return staged;
}

/** Kept a day for `status` (ops/notices.ts): what was not read is lost to PanDev, and needs a person. */
async function noteActivitiesCut(repository: Repository, id: number, read: number, deps: PollDeps): Promise<void> {
  const name = `${repository.project.key}/${repository.slug}`;
  const message = activitiesCutMessage(id, read);
  deps.log.warn({ repository: name, pullRequest: id, read, pages: MAX_ACTIVITY_PAGES }, message);
  await deps.state.notice({ kind: 'activities-cut', repositoryId: String(repository.id), repository: name, at: deps.ctx.clock.now(), message });
}

export function activitiesCutMessage(id: number, read: number): string {
  return `pull request #${id}: its activity read stopped at its cap of ${MAX_ACTIVITY_PAGES} pages after ${read} activities, with older ones since the last pass still to come: those (comments, reviews, or its opening) are not sent to PanDev. If an administrator lowered page.max.* (bitbucket.properties) below ${PAGE}, raise it back to ${PAGE}; otherwise look at the pull request in Bitbucket for what PanDev is missing`;
}

const GONE = Symbol('gone');

/** Bitbucket's failures of one pull request become its skip reason; anything else is a bug and propagates. */
async function attempt<T extends number | typeof GONE>(fn: () => Promise<T>): Promise<T | string> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof BitbucketError && error.kind !== 'unauthorized') return errorMessage(error);
    throw error;
  }
}
