import type { CloudClient } from '../enrich/cloud/client';
import type { Lookups } from '../enrich/cloud/lookups';
import { z } from 'zod';
import { Commit, CommitStatus, Deployment, leftOutAuthorAccounts, Page, PullRequest, Ref, type ActivityEntry, type Repository } from '../enrich/cloud/schema';
import { checkedItems, named as itemNamed } from '../enrich/checked-items';
import { buildStatusEvents } from '../history/status-events';
import { deploymentHistory, deploymentUpdatedAt } from '../history/deployment-events';
import { DEPLOYMENT_FIELDS, environmentNamer } from '../enrich/cloud/environments';
import type { Prebuilt } from '../history/prebuilt';
import { activityEvents, lifecycleEvents } from '../history/pull-request-events';
import { refMovePush } from '../history/push-events';
import type { KeyValueStore, Logger } from '../ports';
import { BitbucketError } from '../errors';
import { REF_RENEW_MS, refStateStore } from '../pipeline/ref-state';
import { refsBaseline } from '../backfill/refs-baseline';
import { readActivity, type ActivityBacklog } from './activity-backlog';
import { FULL_PULL_REQUEST_FIELDS } from '../backfill/phases/pull-requests';
import { CLOCK_ALLOWANCE_MS, deploymentKey, isNewsAt, overlapKeysOf } from './clock-allowance';

// One repository's reconciliation: everything that happened since its watermark, read from the
// repository-wide feeds and turned into the deliveries the live triggers would have made. What
// Forge delivered already is in the ledger and is not sent again.

export interface ReconcileInput {
  client: CloudClient;
  lookups: Lookups;
  store: KeyValueStore;
  workspace: string;
  repository: string;
  /** Start of the last successful pass: anything updated from then on is read again. */
  watermark: number;
  /** The workspace query saw a push (or other change) to this repository since the watermark. */
  pushed: boolean;
  /** Check deployments in this pass (see deploymentCheckDue)… */
  deployments: boolean;
  /** …for those updated since the start of the pass that last checked them (not every pass does)… */
  deploymentsSince?: number;
  /** …but for those that check read in this one's overlap (clock-allowance.ts). */
  deploymentsSeen?: string[];
  /** The pull requests are read from here, not `watermark`: earlier passes were refused them (see leaveOutRefused). */
  pullRequestsFrom?: number;
  /**
   * A 403 on the pull requests or the deployments leaves that feed out (`refused` in the result) and the
   * rest of the pass goes on. The bridge's token is one an admin created, perhaps without a feed's scope;
   * the app's scopes are its manifest's, so there a 403 is a repository it may not read, and fails it.
   */
  leaveOutRefused?: boolean;
  /** Activity an earlier pass had no pages left for. */
  activityBacklog?: ActivityBacklog;
  /** Keys of the entries the pass before read in this one's overlap (clock-allowance.ts): not news again. */
  activitySeen?: string[];
  /** Refs an earlier pass put off are read for what changed since its watermark, not this one's. */
  refsSince?: number;
  /** Requests this pass may still make (the batch's grant less what it spent); unbounded if absent. */
  budgetLeft?: () => number;
  /** Whether this many more requests would end past the invocation's deadline (paced-client.ts); never if absent. */
  outOfTime?: (requests?: number) => boolean;
  /**
   * Given, what each step finds is handed over as soon as it is read (the pull requests' news at once,
   * then each ref), and left out of the result: staged at once, a stop loses only the step under way.
   */
  found?: (step: FoundStep) => Promise<void>;
  /** Takes up a pass a stop cut short, which handed over what it found (`found`). */
  resume?: ReconcileResume;
  now: number;
  /** Where a push or build status delivered without part of a commit (its author's account) says so. */
  log: Logger;
}

export type FoundStep = { feed: 'pull-requests'; items: Prebuilt[]; activityRead: ActivityEntry[]; activityBacklog?: ActivityBacklog } | { feed: 'refs'; items: Prebuilt[] };

export interface ReconcileResume {
  /** Its pull-request news was handed over: not read again (the caller keeps what that read left for the next pass). */
  pullRequestsDone: boolean;
  /** When it began: a ref whose tip was recorded since then is one it delivered (staging records the tip), not read again. */
  startedAt: number;
}

/**
 * An item Bitbucket answered in an unexpected shape, left out of the pass with why: a pull request (in
 * the list and on its own), an activity entry, or, read only in some passes (`feed`), a branch or tag,
 * a commit of a push, a tip's build status or a deployment.
 */
export interface LeftOut {
  pullRequest?: number;
  feed?: 'refs' | 'deployments';
  reason: string;
  /** Items past what one pass reads, not malformed ones: nothing for Atlassian support to look at. */
  beyondLimit?: true;
}

/** A pass under way: what its steps left out so far. */
interface Reading extends ReconcileInput {
  leftOut: LeftOut[];
}

/** The page's items that will do; each that will not is noted on the pass as left out of `feed`. */
function readable<T extends z.ZodType>(input: Reading, feed: NonNullable<LeftOut['feed']>, values: unknown[], schema: T, what: (raw: unknown) => string): Array<z.infer<T>> {
  const { items, malformed } = checkedItems(values, schema, what);
  input.leftOut.push(...malformed.map(({ reason }) => ({ feed, reason })));
  return items;
}

export interface ReconcileResult {
  items: Prebuilt[];
  /** Items this pass could not read (see LeftOut); the rest of the repository was passed. */
  leftOut: LeftOut[];
  /** Activity still owed after this pass: the next one reads on from there. */
  activityBacklog?: ActivityBacklog;
  /** Every entry the top of the activity log held down into the overlap, news or not: what the next pass has seen (clock-allowance.ts). */
  activityRead: ActivityEntry[];
  /** Refs or deployments this pass had no budget left for: the next pass reads them. */
  deferred?: { refs: boolean; deployments: boolean };
  /** When the newest deployment seen in this pass was updated (a deployments read only). */
  lastDeploymentAt?: number;
  /** Keys of the deployments read in the next check's overlap, that check reading from this pass's `now` (a deployments read only). */
  deploymentsSeen?: string[];
  /** The feeds Bitbucket refused this pass (leaveOutRefused): nothing of them was read, all of it is still owed. */
  refused?: Partial<Record<RefusableFeed, BitbucketError>>;
}

type RefusableFeed = 'pullRequests' | 'deployments';
/** What a feed's requests ask for (an endpoint's name, or a `next` page's path). */
const FEED_PATHS: Record<RefusableFeed, RegExp> = { pullRequests: /pullrequest/i, deployments: /deployment|environment/i };

/** The feed's read, or Bitbucket's 403 to one of its requests when the caller leaves refused feeds out. */
async function unlessRefused<T>(input: ReconcileInput, feed: RefusableFeed, read: () => Promise<T>): Promise<T | BitbucketError> {
  try {
    return await read();
  } catch (error) {
    if (input.leaveOutRefused && error instanceof BitbucketError && error.kind === 'forbidden' && FEED_PATHS[feed].test(error.path)) return error;
    throw error;
  }
}

/** Refs start only with this many requests left: the listing, and a commits read and a statuses read per moved branch. */
const REFS_MIN_REQUESTS = 4;
/** A moved branch's reads: its commits, the tip it moved from, its tip's statuses. */
const MOVED_REF_REQUESTS = 3;
/** Deployments: the page, and their environments' names. */
const DEPLOYMENT_REQUESTS = 2;
/**
 * Pages of deployments one check reads at most (100 each), newest first. A check is due hourly while
 * a repository is active: a thousand deployments in between is a runaway pipeline, said as left out.
 */
const DEPLOYMENT_PAGES = 10;

export async function reconcileRepository(input: ReconcileInput): Promise<ReconcileResult> {
  const left = input.budgetLeft ?? (() => Number.POSITIVE_INFINITY);
  const outOfTime = input.outOfTime ?? (() => false);
  const refused: NonNullable<ReconcileResult['refused']> = {};
  const read = input.resume?.pullRequestsDone ? undefined : await unlessRefused(input, 'pullRequests', () => pullRequestNews({ ...input, watermark: input.pullRequestsFrom ?? input.watermark }));
  if (read instanceof BitbucketError) {
    // A user who may not read the repository is refused its pull requests first: read afresh (not the
    // cached object), the repository then fails the pass as a whole, as a repository refused should.
    await input.client.get({ endpoint: 'repository', params: { workspace: input.workspace, repo_slug: input.repository } }, z.unknown());
    refused.pullRequests = read;
  }
  const { leftOut, ...news } = read && !(read instanceof BitbucketError) ? read : { items: [], activityRead: [], leftOut: [] };
  const reading: Reading = { ...input, leftOut };
  // Refused, nothing was read: the caller keeps what the last read left for the next one.
  if (input.found && read && !refused.pullRequests) {
    await input.found({ feed: 'pull-requests', ...news });
    news.items = [];
  }
  const items = [...news.items];
  const owed = { leftOut: reading.leftOut, activityRead: news.activityRead, ...(news.activityBacklog ? { activityBacklog: news.activityBacklog } : {}) };
  let refs = input.pushed && left() >= REFS_MIN_REQUESTS && !outOfTime(REFS_MIN_REQUESTS);
  if (refs) {
    const found = await refNews(reading);
    items.push(...found.items);
    refs = found.complete;
  }
  const deployments = input.deployments && left() >= 1 && !outOfTime(DEPLOYMENT_REQUESTS);
  const deferred = (input.pushed && !refs) || (input.deployments && !deployments) ? { deferred: { refs: input.pushed && !refs, deployments: input.deployments && !deployments } } : {};
  const refusals = refused.pullRequests ? { refused } : {};
  if (!deployments) return { items, ...owed, ...deferred, ...refusals };
  const found = await unlessRefused(input, 'deployments', () => deploymentNews(reading));
  if (found instanceof BitbucketError) return { items, ...owed, ...deferred, refused: { ...refused, deployments: found } };
  items.push(...found.items);
  const unfinished = found.complete ? deferred : { deferred: { refs: input.pushed && !refs, deployments: true } };
  return { items, ...owed, ...unfinished, ...refusals, deploymentsSeen: found.seen, ...(found.lastDeploymentAt !== undefined ? { lastDeploymentAt: found.lastDeploymentAt } : {}) };
}

const HOUR = 3_600_000;

/**
 * Whether this pass reads deployments. No feed proves "no deployment" for free, so they cost a request
 * of their own. Deployments come from pipelines, and pipelines from pushes and merges: they are read
 * on a push, hourly for a day after any news in the repository (a pipeline still running, a manual
 * promotion to production), and daily in a repository that has been quiet for longer. With
 * `neverDeployed` (the feed held no deployment at all at the last check) a repository is read daily
 * even when pushed to: its pushes start none until deployments are set up there, and where live
 * triggers run (the Forge app) they send the first ones. The bridge, which only polls, leaves it off.
 */
export function deploymentCheckDue(input: { now: number; pushed: boolean; lastCheckAt?: number | undefined; lastActivityAt?: number | undefined; neverDeployed?: boolean }): boolean {
  if (input.lastCheckAt === undefined) return true;
  if (input.neverDeployed) return input.now - input.lastCheckAt >= 24 * HOUR;
  if (input.pushed) return true;
  const active = input.lastActivityAt !== undefined && input.now - input.lastActivityAt < 24 * HOUR;
  return input.now - input.lastCheckAt >= (active ? HOUR : 24 * HOUR);
}

/**
 * The request that proves "no pull request changed": the repository's activity log, newest first
 * across all its pull requests, holds every update (opened, edited, new commits, merged, declined),
 * approval, change request and comment. If its newest entry is older than the watermark, nothing
 * about any pull request of the repository happened since, and no other request is made for them.
 */
async function pullRequestNews(input: ReconcileInput): Promise<{ items: Prebuilt[]; activityBacklog?: ActivityBacklog; activityRead: ActivityEntry[]; leftOut: LeftOut[] }> {
  const { client, workspace, repository } = input;
  const params = { workspace, repo_slug: repository };
  // Another page of the log is read only if, after it, the pull requests it names can still be read
  // (the list at 50 a page, and the repository): entries read without them would be lost.
  const outOfTime = input.outOfTime ?? (() => false);
  const stop = (entries: ActivityEntry[]) => outOfTime(2 + Math.ceil((new Set(entries.map((entry) => entry.pull_request.id)).size + 50) / 50));
  const read = await readActivity(client, params, input.watermark, input.activityBacklog, stop, new Set(input.activitySeen ?? []));
  const activityRead = read.scanned;
  // An entry's pull request is passed all the same: only what the entry itself said is left out.
  const entriesLeftOut: LeftOut[] = read.malformed.map(({ pullRequest, reason }) => ({ reason: pullRequest !== undefined ? `an entry of pull request #${pullRequest}'s activity: ${reason}` : reason }));
  if (!read.entries.length) return { items: [], activityRead, leftOut: entriesLeftOut, ...(read.backlog ? { activityBacklog: read.backlog } : {}) };
  const named = await namedPullRequests(input, read.since, new Set(read.entries.map((entry) => entry.pull_request.id)));
  const { pullRequests } = named;
  const leftOut = [...entriesLeftOut, ...named.leftOut];
  const unreadable = new Set(leftOut.map((left) => left.pullRequest));
  let { since, backlog } = read;
  // What a pull request left out did is not read again: its entries go with it, the rest are passed.
  let entries = read.entries.filter((entry) => !unreadable.has(entry.pull_request.id));
  const missing = entries.filter((entry) => !pullRequests.has(entry.pull_request.id));
  if (missing.length) {
    // Out of time before every pull request the log named was read. Entries from the rest an earlier
    // pass owed (older, so last in the list) are owed again, whole: the next pass reads that rest anew.
    // The top's own are always found in time (the list's first pages, which the reserve counts).
    const recent = new Set(entries.slice(0, read.top.recent));
    if (!input.activityBacklog || missing.some((entry) => recent.has(entry))) throw new PassOutOfTimeError();
    entries = [...recent];
    since = read.top.since;
    backlog = input.activityBacklog;
  }
  const repositoryObject = await input.lookups.repository(workspace, repository);
  const items: Prebuilt[] = [];
  for (const pr of pullRequests.values()) {
    const context = { workspace, repository: repositoryObject, pullRequest: pr, since, origin: 'reconcile' as const };
    // Like the live triggers, without a commit list: only the backfill holds the graph it comes from.
    items.push(...lifecycleEvents(context));
    items.push(...activityEvents(context, entries.filter((entry) => entry.pull_request.id === pr.id)));
  }
  return { items, activityRead, leftOut, ...(backlog ? { activityBacklog: backlog } : {}) };
}

const Listed = z.looseObject({ id: z.number().int() });

/** The reads left after a pull request's: the repository object. */
const AFTER_PULL_REQUESTS = 1;

/**
 * The pull requests updated since `since`, newest first, and any the log named past the list's pages
 * read alone. Rest owed from an outage reaches far back, so the list may be long: it stops between
 * requests when the next would end past the deadline, and the caller owes what it did not find.
 */
async function namedPullRequests(input: ReconcileInput, since: number, named: Set<number>): Promise<{ pullRequests: Map<number, PullRequest>; leftOut: LeftOut[] }> {
  const { client, workspace, repository } = input;
  const params = { workspace, repo_slug: repository };
  const outOfTime = input.outOfTime ?? (() => false);
  const pullRequests = new Map<number, PullRequest>();
  const leftOut: LeftOut[] = [];
  // Each listed pull request is checked on its own: one in an unexpected shape would otherwise fail the
  // page, and with it the repository's every pass. It is read on its own instead (a list's shape can
  // differ from the object's), and left out only if that answer will not do either.
  const alone = new Set(named);
  const query = { state: ['OPEN', 'MERGED', 'DECLINED', 'SUPERSEDED'], q: `updated_on >= ${new Date(since).toISOString()}`, sort: '-updated_on', pagelen: 50, fields: FULL_PULL_REQUEST_FIELDS };
  for await (const page of client.pages({ endpoint: 'pullRequests', params, query }, z.unknown(), 20)) {
    for (const raw of page) {
      const parsed = PullRequest.safeParse(raw);
      if (parsed.success) pullRequests.set(parsed.data.id, parsed.data);
      else if (Listed.safeParse(raw).success) alone.add(Listed.parse(raw).id);
      else leftOut.push({ reason: `Bitbucket listed a pull request without a numeric id (${shapeIssue(parsed.error)})` });
    }
    if (outOfTime(1 + AFTER_PULL_REQUESTS)) return { pullRequests, leftOut };
  }
  for (const id of alone) {
    if (pullRequests.has(id)) continue;
    if (outOfTime(1 + AFTER_PULL_REQUESTS)) break;
    try {
      pullRequests.set(id, await client.get({ endpoint: 'pullRequest', params: { ...params, pull_request_id: String(id) }, query: { fields: FULL_PULL_REQUEST_FIELDS } }, PullRequest));
    } catch (error) {
      if (!(error instanceof BitbucketError && error.kind === 'malformed')) throw error;
      leftOut.push({ pullRequest: id, reason: error.message });
    }
  }
  return { pullRequests, leftOut };
}

function shapeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown field';
}

/**
 * A pass that could not read the pull requests of the newest activity in time: it fails, its watermark
 * stays. Bitbucket answering too slowly for the invocation's time, so it is told as an answer that did
 * not come in time (the Status's advice is Bitbucket's status page; the app has no rate to lower).
 */
export class PassOutOfTimeError extends BitbucketError {
  constructor() {
    super('network', undefined, 'pull requests', 'The pass ran short of time before it could read the pull requests the newest activity names: Bitbucket answered too slowly. The next pass reads the same period again; nothing is lost.');
    this.name = 'PassOutOfTimeError';
  }
}

/**
 * Branches and tags whose tip moved since the app last delivered them become one push each. Short of
 * time it stops between refs (`complete` false): what it delivered is recorded as delivered, so the
 * next pass, reading them all again, takes up the rest.
 */
async function refNews(input: Reading): Promise<{ items: Prebuilt[]; complete: boolean }> {
  const { client, workspace, repository } = input;
  const params = { workspace, repo_slug: repository };
  const outOfTime = input.outOfTime ?? (() => false);
  // Until the backfill has listed them, the refs are its to deliver: recording tips here first would
  // make it skip what moved on them in its window. They stay owed (`complete` false), though: a push
  // to a ref the backfill listed already, its event lost, is found by the first pass after it.
  const baseline = await refsBaseline(input.store, repository);
  if (baseline === 'pending') return { items: [], complete: false };
  const refs = refStateStore(input.store);
  const repositoryObject = await input.lookups.repository(workspace, repository);
  const out: Prebuilt[] = [];
  let first = true;
  const since = refsSince(input);
  // Commit dates are whole seconds: a commit in the watermark's own second may be after it.
  const committedSince = Math.floor(since / 1000) * 1000;
  // Commits are dated by Bitbucket's clock, or their author's: one pushed just after the last pass
  // read the refs may be dated before it started (clock-allowance.ts).
  const windowStart = committedSince - CLOCK_ALLOWANCE_MS;
  const mainbranch = (repositoryObject.mainbranch as { name?: string } | undefined)?.name;
  const found = input.found;
  const take = async (items: Prebuilt[]) => (found ? found({ feed: 'refs', items }) : void out.push(...items));
  // Branches and tags in one listing.
  for await (const page of client.pages({ endpoint: 'refs', params, query: { pagelen: 100 } }, z.unknown(), 20)) {
    if (!first && outOfTime()) return { items: out, complete: false };
    first = false;
    for (const ref of readable(input, 'refs', page, Ref, itemNamed.ref)) {
      const type = ref.type === 'tag' ? 'tag' : 'branch';
      const tip = ref.target?.hash;
      const known = await refs.get(repository, type, ref.name);
      if (!tip) continue;
      // The pass a stop cut short delivered it (and its tip's statuses), or saw it stand still.
      if (input.resume && known?.tip === tip && known.at >= input.resume.startedAt) continue;
      // A tip that moved in this period (its push delivered live, or found now) gets its statuses
      // read: the status events may be the ones Forge lost.
      const recent = type === 'branch' && (known ? known.at >= since : Date.parse(ref.target?.date ?? '') >= committedSince);
      if (known?.tip === tip) {
        if (recent && outOfTime()) return { items: out, complete: false };
        if (recent) await take(sayingLeftOut(input, [ref.target], await tipStatuses(input, repositoryObject, ref.target!)));
        // A ref that stands still is kept 400 days from its last write: renewed well before it lapses.
        if (input.now - (known.seenAt ?? known.at) > REF_RENEW_MS) await refs.set(repository, type, ref.name, { ...known, seenAt: input.now });
        continue;
      }
      // A ref the state lacks is new when the backfill listed them all. Without that list, only its
      // tip's date can tell, and a commit date says nothing of when a branch or tag was made: one
      // whose tip predates the window is taken to have existed before, noticed as a baseline
      // (nothing delivered, so a late live push for it is still sent).
      const unlisted = !known && baseline === 'unknown';
      if (unlisted && Date.parse(ref.target?.date ?? '') < windowStart) {
        await refs.set(repository, type, ref.name, { tip, at: input.now, origin: 'baseline' });
        continue;
      }
      if (outOfTime(MOVED_REF_REQUESTS)) return { items: out, complete: false };
      const moved = unlisted && type === 'branch' && (!mainbranch || mainbranch === ref.name)
        ? await movedInWindow(input, ref, windowStart)
        : await movedCommits(input, ref, known?.tip ?? undefined, mainbranch, windowStart);
      const push = refMovePush({ workspace, repository: repositoryObject, ref, before: moved.before, commits: moved.commits, commitsTruncated: moved.truncated, origin: 'reconcile', ...(moved.historyBehind ? { historyBehind: true as const } : {}), ...(moved.forced ? { forced: true as const } : {}) });
      // Moved since the last pass by definition: its statuses' events may be lost with its push's.
      await take(sayingLeftOut(input, [...moved.commits, moved.before, ref.target], [...push, ...(type === 'branch' ? await tipStatuses(input, repositoryObject, moved.commits[0] ?? ref.target!) : [])]));
    }
  }
  return { items: out, complete: true };
}

/**
 * The bodies carry these commits: an author's account among them that Bitbucket answered without a
 * usable type is left out of them (the raw name kept), said here as the live path and the backfill say it.
 */
function sayingLeftOut(input: ReconcileInput, commits: Array<Commit | null | undefined>, items: Prebuilt[]): Prebuilt[] {
  // A tip is both a commit of the push and the ref's target: said once.
  const leftOut = [...new Set(leftOutAuthorAccounts(commits))];
  if (items.length && leftOut.length) input.log.warn({ repository: input.repository, leftOut }, `delivered without what PanDev could not read: ${leftOut.join('; ')}`);
  return items;
}

interface Moved {
  before: Commit | null;
  commits: Commit[];
  truncated: boolean;
  historyBehind?: true;
  /** The tip delivered last is gone from Bitbucket: the ref was rewritten. */
  forced?: true;
}

async function movedCommits(input: Reading, ref: Ref, knownTip: string | undefined, mainbranch: string | undefined, windowStart: number): Promise<Moved> {
  if (ref.type === 'tag') return { before: null, commits: [], truncated: false };
  const base = mainbranch && mainbranch !== ref.name ? mainbranch : undefined;
  const read = await commitsBetween(input, ref, knownTip ?? base).catch((error: unknown) => {
    if (knownTip && error instanceof BitbucketError && error.kind === 'not-found') return { gone: knownTip };
    throw error;
  });
  if ('gone' in read) return rewritten(input, ref, read.gone, base, windowStart);
  // Cut short, the read still ran from the known tip: the push is an update from it (as Bitbucket
  // reports one of over a thousand commits, `truncated`), not the branch's creation.
  const params = { workspace: input.workspace, repo_slug: input.repository };
  const before = knownTip ? await input.client.get({ endpoint: 'commit', params: { ...params, commit: knownTip } }, Commit).catch(() => null) : null;
  return { before, ...read };
}

/**
 * The tip last delivered is gone from Bitbucket: the branch was rewritten (a forced push, or deleted
 * and made again under its name, its delete event lost) and the old commits collected. Read from it,
 * every pass would fail here and deliver nothing more of the repository. It is read as a branch the
 * app has no tip for: what it adds to the main branch; the main branch itself, what its line gained in
 * the window (its history before was delivered with the old tip, so none is owed behind it). The push
 * still runs from the gone tip: named by its hash alone and marked forced, as the app's forced push is
 * (enrich/cloud/enrich.ts), so both give it one delivery id and say the same of it. A repository
 * deleted meanwhile answers 404 here as well, and fails as before.
 */
async function rewritten(input: Reading, ref: Ref, gone: string, base: string | undefined, windowStart: number): Promise<Moved> {
  const { commits, truncated } = base ? await commitsBetween(input, ref, base) : await movedInWindow(input, ref, windowStart);
  return { before: { type: 'commit', hash: gone }, commits, truncated, forced: true };
}

/** The commits of a branch's tip not reachable from `exclude`, newest first, up to ten pages. */
async function commitsBetween(input: Reading, ref: Ref, exclude: string | undefined): Promise<{ commits: Commit[]; truncated: boolean }> {
  const params = { workspace: input.workspace, repo_slug: input.repository };
  const commits: Commit[] = [];
  let pages = 0;
  for await (const page of input.client.pages({ endpoint: 'commits', params, query: { include: ref.target!.hash, ...(exclude ? { exclude } : {}), pagelen: 100 } }, z.unknown(), 11)) {
    commits.push(...readable(input, 'refs', page, Commit, itemNamed.commit));
    if (++pages >= 10) return { commits, truncated: true };
  }
  return { commits, truncated: false };
}

/**
 * A branch the app has no tip for that no other branch's history can be told from (the main branch,
 * or any in a repository without one), its tip dated in the window. Its history is the repository's:
 * read to the end, it would make one push of years of commits creating the branch. Nothing says it is
 * new, so it moved from where its own line stood before the window, and the push is what it gained
 * since, read as from a known tip. Its own line is its first parents: a merge's others are what it
 * merged, often older than the window while the merge is not, and never where the branch stood.
 */
async function movedInWindow(input: Reading, ref: Ref, windowStart: number): Promise<Moved> {
  const params = { workspace: input.workspace, repo_slug: input.repository };
  const page = await input.client.get({ endpoint: 'commits', params, query: { include: ref.target!.hash, pagelen: 100 } }, Page(z.unknown()));
  const commits = readable(input, 'refs', page.values, Commit, itemNamed.commit);
  const edge = lineEdge(new Map(commits.map((commit) => [commit.hash, commit])), ref.target!.hash, windowStart);
  // Either way below `before`, the line's history in a backfill's window is not sent: the backfill owes it.
  if ('before' in edge) return { before: edge.before, ...(await commitsBetween(input, ref, edge.before.hash)), historyBehind: true };
  // Its whole line is in the window: the branch is new after all.
  if (!edge.parent) return { before: null, commits, truncated: Boolean(page.next) };
  // More than a page in the window (a history imported or rewritten): one page is all a pass spends on
  // it. The push runs from where the line left what was read, so it stays an update, and is marked
  // truncated: the window's older commits are not in it.
  const before = await input.client.get({ endpoint: 'commit', params: { ...params, commit: edge.parent } }, Commit).catch(() => null);
  return { before, commits, truncated: true, historyBehind: true };
}

/** Down a branch's first parents in the commits read: its first one dated before the window, or the parent the read ends at (none: the root). */
function lineEdge(read: Map<string, Commit>, tip: string, windowStart: number): { before: Commit } | { parent: string | undefined } {
  for (let commit = read.get(tip); commit; ) {
    if (Date.parse(commit.date ?? '') < windowStart) return { before: commit };
    const parent = commit.parents?.[0]?.hash;
    if (!parent || !read.has(parent)) return { parent };
    commit = read.get(parent);
  }
  return { parent: undefined };
}

/**
 * Deployments are dated by Bitbucket's clock: one made just after the last check read them may be
 * dated before that check started, so they are read down into its overlap (clock-allowance.ts) too.
 */
async function deploymentNews(input: Reading): Promise<{ items: Prebuilt[]; seen: string[]; lastDeploymentAt?: number; complete: boolean }> {
  const { client, workspace, repository } = input;
  const since = input.deploymentsSince ?? input.watermark;
  const seenBefore = new Set(input.deploymentsSeen ?? []);
  const outOfTime = input.outOfTime ?? (() => false);
  // Newest first: pages are followed down to the check before this one (and its overlap). No time for
  // the next page: what was read goes, and the check stays owed from the same time (`complete` false).
  const dated: Array<{ deployment: Deployment; updated: number }> = [];
  let complete = true;
  const capped = () => input.leftOut.push({ feed: 'deployments', beyondLimit: true, reason: `Bitbucket listed more than ${DEPLOYMENT_PAGES * 100} deployments since the check before; the newest ${DEPLOYMENT_PAGES * 100} were sent and the older ones were not read` });
  for await (const values of client.pages({ endpoint: 'deployments', params: { workspace, repo_slug: repository }, query: { pagelen: 100, fields: DEPLOYMENT_FIELDS } }, z.unknown(), DEPLOYMENT_PAGES, capped)) {
    const page = readable(input, 'deployments', values, Deployment, itemNamed.deployment).map((deployment) => ({ deployment, updated: deploymentUpdatedAt(deployment) })).filter(({ updated }) => !Number.isNaN(updated));
    dated.push(...page);
    if (page.some(({ updated }) => updated < since - CLOCK_ALLOWANCE_MS)) break;
    if (outOfTime()) {
      complete = false;
      break;
    }
  }
  const newest = dated.length ? { lastDeploymentAt: Math.max(...dated.map(({ updated }) => updated)) } : {};
  const seen = overlapKeysOf(dated, input.now, ({ updated }) => updated, ({ deployment }) => deploymentKey(deployment));
  const fresh = dated.filter(({ deployment, updated }) => isNewsAt(updated, deploymentKey(deployment), since, seenBefore)).map(({ deployment }) => deployment);
  if (!fresh.length) return { items: [], seen, ...newest, complete };
  const environmentOf = await environmentNamer(client, input.store, workspace, repository, fresh, ({ reason }) => input.leftOut.push({ feed: 'deployments', reason }));
  const repositoryObject = await input.lookups.repository(workspace, repository);
  const items = fresh.flatMap((deployment) => deploymentHistory({ workspace, repository: repositoryObject, deployment, environment: environmentOf(deployment), origin: 'reconcile' }));
  return { items, seen, ...newest, complete };
}

/**
 * Build statuses have no feed on Bitbucket Cloud; the one place they matter most is the tip of a ref
 * that moved, so its statuses are read (one request per moved branch) in their latest state.
 */
async function tipStatuses(input: Reading, repository: Repository, tip: Commit): Promise<Prebuilt[]> {
  const page = await input.client.get({ endpoint: 'commitStatuses', params: { workspace: input.workspace, repo_slug: input.repository, commit: tip.hash }, query: { pagelen: 100 } }, Page(z.unknown()));
  // Dated by Bitbucket's clock: a status set just after the last pass may be dated before it (clock-allowance.ts).
  return readable(input, 'refs', page.values, CommitStatus, itemNamed.status(tip.hash)).filter((status) => Date.parse(status.updated_on ?? '') >= refsSince(input) - CLOCK_ALLOWANCE_MS).flatMap((status) => buildStatusEvents(input.workspace, repository, tip, status, 'reconcile'));
}

/** Whence the refs and their tips' statuses are read: an earlier pass that put them off saw nothing of them since its watermark. */
function refsSince(input: ReconcileInput): number {
  return Math.min(input.watermark, input.refsSince ?? input.watermark);
}
