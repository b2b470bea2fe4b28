import type { BudgetSnapshot } from '../budget/rate-budget';
import type { Preferences } from '../config/settings';
import type { BackfillRecord } from './state';

// How long the backfill still needs. Its pace is the request budget, which every repository shares:
// the time left is the requests left across all of them, beyond what the rolling hour still allows,
// waiting for the requests spent to leave that hour, then at the hour's planned rate; not the slowest
// repository's own estimate.

/** Requests per pull request before a repository has measured its own (BENCHMARKS.md, 50 × 8 and 10 × 60). */
const PRIOR_PER_PULL_REQUEST: Record<Preferences['commitStats'], number> = { off: 0.5, pullrequest: 1.5, commit: 5.5 };
/** A repository not yet started: its fixed feeds and a handful of pull requests. */
export const PRIOR_PER_REPOSITORY = 15;
/** Working time per request when the budget is not the limit (measured: about 15 ms; kept conservative). */
const SECONDS_PER_REQUEST = 0.05;
/** A repository's own rate is trusted once it has done this much. */
const MEASURED_AFTER = 5;

export interface BudgetView {
  /** Requests planned work may still make in this rolling hour. */
  available: number;
  /** Requests planned work may make per hour. */
  plannedPerHour: number;
  /**
   * Seconds until `need` requests (at most an hour's planned) are available: the budget knows when
   * the requests already spent leave the rolling hour, and whether a 429 blocks it. Without it, the
   * hour's spending is taken as even.
   */
  secondsUntil?: (need: number) => number;
}

/** Requests the record's remaining work is expected to take. */
export function remainingRequests(record: BackfillRecord, commitStats: Preferences['commitStats'], buildStatuses = false): number {
  if (record.state === 'done' || record.state === 'failed' || record.state === 'gone' || record.state === 'cancelled') return 0;
  if (record.total === undefined) return PRIOR_PER_REPOSITORY;
  // Every commit's stats are counted on their own (below): the pull requests go at the pull-request level.
  const prior = PRIOR_PER_PULL_REQUEST[commitStats === 'commit' ? 'pullrequest' : commitStats];
  const perUnit = record.done >= MEASURED_AFTER && record.requests > 0 ? record.requests / record.done : prior;
  return Math.ceil(Math.max(0, record.total - record.done) * perUnit) + (commitStats === 'commit' ? commitStatsLeft(record, record.total) : 0) + (buildStatuses ? statusesLeft(record, record.total) : 0);
}

/**
 * Every commit's file stats are read in the refs phase, after every pull request is done (`done` no
 * longer moves): without them, the time left read "none" for the hours the diffstats take. Counted at
 * the prior's difference per pull request until the phase has passed.
 */
function commitStatsLeft(record: BackfillRecord, total: number): number {
  const phase = record.cursor?.phase;
  if (phase === 'statuses' || phase === 'deployments') return 0;
  return total * (PRIOR_PER_PULL_REQUEST.commit - PRIOR_PER_PULL_REQUEST.pullrequest);
}

/** Build statuses come after every pull request is done (`done` no longer moves): one request each. */
function statusesLeft(record: BackfillRecord, total: number): number {
  const phase = record.cursor?.phase;
  if (phase === 'deployments') return 0;
  if (phase !== 'statuses') return total;
  // The list's pages hold up to 50 ids each; page -1 is the few the list missed, read last.
  const page = record.cursor?.page ?? 0;
  return page < 0 ? 0 : Math.max(0, total - (page * 50 + Number(record.cursor?.next ?? 0)));
}

/**
 * What a repository's backfill waits through until its last request: its pieces take turns with the
 * other carried records' (`others`: their requests left, carried.ts), so until it ends each of them
 * makes as many requests as it does, or all of theirs if they end first.
 */
export function sharedRequests(own: number, others: number[]): number {
  return own + others.reduce((sum, requests) => sum + Math.min(requests, own), 0);
}

export function etaSeconds(requests: number, budget: BudgetView): number {
  const working = requests * SECONDS_PER_REQUEST;
  if (requests <= budget.available) return Math.ceil(working);
  // A backfill spends the hour in a burst, then waits for that burst to leave the rolling hour (or for
  // a 429's block to end): a steady rate would say "20 minutes" for the whole of a 50-minute wait.
  // What is available now is taken now, though it be more than the backfill's share of later hours.
  const perHour = Math.max(1, budget.plannedPerHour);
  const thisHour = Math.min(requests, Math.max(perHour, budget.available));
  const firstWait = budget.secondsUntil ? budget.secondsUntil(thisHour) : ((thisHour - budget.available) / perHour) * 3600;
  const laterHours = (Math.max(0, requests - thisHour) / perHour) * 3600;
  return Math.ceil(firstWait + laterHours + working);
}

/**
 * The whole backfill's time left, or undefined when nothing is left to do. `waiting`: repositories
 * whose backfill is asked for but has no record yet (backfill/pending.ts): each costs what a record
 * not yet started does, or the time left would drop by hours as the ticks write their records.
 */
export function backfillEta(records: BackfillRecord[], commitStats: Preferences['commitStats'], budget: BudgetView, buildStatuses = false, waiting = 0): number | undefined {
  const requests = records.reduce((sum, record) => sum + remainingRequests(record, commitStats, buildStatuses), 0) + waiting * PRIOR_PER_REPOSITORY;
  return requests ? etaSeconds(requests, budget) : undefined;
}

/**
 * What the backfill keeps of an hour's planned requests when the reconciliation's demand outruns them:
 * its pieces run between the five-minute ticks and take what the rolling hour frees (a guess, said as one).
 */
const BACKFILL_SHARE_AT_LEAST = 0.1;

/**
 * The budget as the time left sees it, at `now`; `spentSince`: requests made since the snapshot was
 * taken; `otherPerHour`: what other planned work draws from the same hour (the reconciliation's
 * request per selected repository each period), which the backfill does not get.
 */
export function budgetView(snapshot: BudgetSnapshot, now: number, spentSince = 0, otherPerHour = 0): BudgetView {
  return {
    available: Math.max(0, snapshot.available - spentSince),
    plannedPerHour: Math.max(snapshot.planned * BACKFILL_SHARE_AT_LEAST, snapshot.planned - otherPerHour),
    secondsUntil: (need) => Math.max(0, (snapshot.availableAt(Math.min(snapshot.planned, need + spentSince)) - now) / 1000),
  };
}
