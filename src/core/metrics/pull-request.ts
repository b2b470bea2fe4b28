import { isProduction, type DeploymentFacts, type PullRequestFacts } from './facts';
import { byCompletion, instant, sameCommit, succeeded, toSeconds, type Duration, type Measured, type Unavailable } from './figures';

/**
 * The times of one pull request, worked out from facts the app already holds:
 *
 * - coding time: first commit → opened. Commits pushed after opening (or rebased ones dated later)
 *   make it 0: the work is then taken to start at the opening.
 * - pickup time: opened → first review by someone other than the author (approval, changes requested
 *   or comment).
 * - review time: first review → merge.
 * - deploy time: merge → first successful production deployment completed at or after the merge whose
 *   commit is, or descends from, the merge commit.
 * - lead time for changes: first commit → that deployment. A repository without production
 *   deployments measures to the merge instead (`basis: 'merge'`).
 *
 * Work starts at min(first commit, opened), and a first review is placed between the opening and the
 * merge, so coding + pickup + review + deploy = lead time and coding + pickup + review = first commit →
 * merge, exactly (all in whole seconds). A first review dated after the merge means nobody else looked
 * before the change went in: pickup and review time are then not available, rather than made up.
 * Without a known first commit there is no coding or lead time; a pull request opened before the
 * window is then "older than the window".
 */
export interface PullRequestMetrics {
  repository: string;
  id: number;
  state: PullRequestFacts['state'];
  coding: Duration;
  pickup: Duration;
  review: Duration;
  deploy: DeployTime;
  lead: LeadTime;
  size: Size;
}

export type LeadTime = (Measured & { basis: 'deployment' | 'merge' }) | (Unavailable & { toMerge?: Measured });
/** A deploy time that commits not seen yet would settle: names the deployment the app could not judge. */
export type Undecided = Unavailable & { undecided: string };
/** Measured, it says when that deployment completed (whole seconds): an earlier one reported late replaces it. */
export type DeployTime = (Measured & { deployedAt?: number }) | Unavailable | Undecided;
export type Size = { linesAdded: number; linesRemoved: number; files: number; partial?: boolean } | Unavailable;

export interface PullRequestInput {
  /** The repository's deployments, any environment and result. */
  deployments: DeploymentFacts[];
  /** Whether the deployed commit has the merge commit in its history; undefined when the app cannot tell. */
  contains(deploymentCommit: string, mergeCommit: string): boolean | undefined;
  /** Milliseconds since the epoch. Deployments completed later are ignored. */
  now: number;
  /** Milliseconds since the epoch: the start of the window the app read commits for. */
  windowStart: number;
  /** Open pull requests: pickup and review time count up to `now` and are marked running (the card). */
  live?: boolean;
}

export function pullRequestMetrics(pr: PullRequestFacts, input: PullRequestInput): PullRequestMetrics {
  const base = { repository: pr.repository, id: pr.id, state: pr.state, size: size(pr) };
  const now = toSeconds(input.now);
  const opened = instant(pr.createdOn);
  if (opened === undefined) {
    const unknown = { unavailable: 'opening time not known' };
    return { ...base, coding: unknown, pickup: unknown, review: unknown, deploy: unknown, lead: unknown };
  }
  const first = instant(pr.firstCommitOn);
  const start = first === undefined ? undefined : Math.min(first, opened);
  const mergedAt = pr.state === 'MERGED' ? instant(pr.mergedOn) : undefined;
  const merged = mergedAt === undefined ? undefined : Math.max(mergedAt, opened);
  const reviewedAt = instant(pr.firstReview?.at);
  // Only a review before the merge counts; clamped to the opening in case the clocks disagree.
  const reviewed = reviewedAt === undefined || (merged !== undefined && reviewedAt > merged) ? undefined : Math.max(reviewedAt, opened);
  const running = input.live === true && pr.state === 'OPEN';
  const since = (from: number): Measured => ({ seconds: Math.max(0, now - from), running: true });

  const noStart = { unavailable: firstCommitReason(pr, opened, now, toSeconds(input.windowStart)) };
  const noReview = { unavailable: noReviewReason(pr, merged !== undefined) };
  const coding: Duration = start === undefined ? noStart : { seconds: opened - start };
  const pickup: Duration = reviewed !== undefined ? { seconds: reviewed - opened } : running ? since(opened) : noReview;

  if (merged === undefined) {
    const notMerged = { unavailable: notMergedReason(pr) };
    const review: Duration = reviewed === undefined ? noReview : running ? since(reviewed) : notMerged;
    return { ...base, coding, pickup, review, deploy: notMerged, lead: notMerged };
  }
  const review: Duration = reviewed !== undefined ? { seconds: merged - reviewed } : noReview;
  const toMerge = start === undefined ? undefined : { seconds: merged - start };
  const deployed = firstDeployment(pr, merged, now, input);
  if (deployed === 'none') {
    const deploy = { unavailable: 'no production deployments in this repository' };
    return { ...base, coding, pickup, review, deploy, lead: toMerge ? { ...toMerge, basis: 'merge' } : noStart };
  }
  if ('unavailable' in deployed) return { ...base, coding, pickup, review, deploy: deployed, lead: toMerge ? { unavailable: deployed.unavailable, toMerge } : noStart };
  const lead: LeadTime = start === undefined ? noStart : { seconds: deployed.at - start, basis: 'deployment' };
  return { ...base, coding, pickup, review, deploy: { seconds: deployed.at - merged, deployedAt: deployed.at }, lead };
}

/**
 * The first successful production deployment at or after the merge that includes the merge commit.
 * A candidate the app cannot judge stops the search: a later one might be the answer, but so might
 * this one, and a wrong deploy time is worse than none. The commits that settle it often come later
 * (a push's trigger that arrives after the deployment's): the answer names the deployment, so the
 * comment waiting for it is revisited when they do. Not for ever: a deployment still undecided a day
 * on is of commits the app will not see (a hotfix on a release branch older than the commits kept, a
 * rollback), while a deployment of the merge's descendants is tied to it by pushes the reconciliation
 * has read by then; so it no longer holds back the later deployments.
 */
function firstDeployment(pr: PullRequestFacts, merged: number, now: number, input: PullRequestInput): 'none' | { at: number } | Unavailable | Undecided {
  const production = prepared(input.deployments, now);
  if (production.length === 0) return 'none';
  if (!pr.mergeCommit) return { unavailable: 'merge commit not known' };
  let passedOver: string | undefined;
  for (let i = firstAtOrAfter(production, merged); i < production.length; i++) {
    const { deployment, at } = production[i]!;
    if (!succeeded(deployment)) continue;
    const includes = sameCommit(deployment.commit, pr.mergeCommit) || input.contains(deployment.commit, pr.mergeCommit);
    if (includes === true) return { at };
    if (includes !== undefined) continue;
    const unavailable = `cannot tell whether the deployment of ${deployment.commit.slice(0, 12)} includes the merge commit`;
    if (now - at < UNDECIDED_FOR_SECONDS) return { unavailable, undecided: deployment.uuid };
    passedOver ??= unavailable;
  }
  return { unavailable: passedOver ?? 'not deployed to production yet' };
}

/** How long a deployment the commits seen cannot judge holds back the later ones (the times here are in seconds). */
const UNDECIDED_FOR_SECONDS = 24 * 3600;

interface Prepared {
  deployment: DeploymentFacts;
  at: number;
}

// A repository's figures ask this for every merged pull request: its production deployments are
// filtered and ordered once per list, not once per pull request.
const preparedLists = new WeakMap<DeploymentFacts[], { now: number; list: Prepared[] }>();

function prepared(deployments: DeploymentFacts[], now: number): Prepared[] {
  const known = preparedLists.get(deployments);
  if (known && known.now === now) return known.list;
  const list = deployments
    .filter((d) => isProduction(d) && (instant(d.completedOn) ?? Infinity) <= now)
    .sort(byCompletion)
    .map((deployment) => ({ deployment, at: instant(deployment.completedOn)! }));
  preparedLists.set(deployments, { now, list });
  return list;
}

/** Index of the first deployment completed at or after `at` (the list is in completion order). */
function firstAtOrAfter(list: Prepared[], at: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (list[middle]!.at < at) low = middle + 1;
    else high = middle;
  }
  return low;
}

function firstCommitReason(pr: PullRequestFacts, opened: number, now: number, windowStart: number): string {
  switch (pr.firstCommitUnavailable) {
    case 'force-pushed':
      return 'first commit not seen: the branch was force-pushed';
    case 'source-unknown':
      return 'first commit not seen: the branch was pushed before the app watched this repository';
    case 'older-than-window':
      return 'first commit not seen: it is older than the window the app read';
    case 'undated':
      return 'first commit time unknown: Bitbucket gave none of its commits a date';
    case 'fork':
      return 'first commit not seen: the pull request comes from a fork, whose pushes the app does not see';
  }
  const days = Math.round((now - windowStart) / 86_400);
  return opened < windowStart ? `older than the ${days}-day window` : 'first commit not seen yet';
}

function noReviewReason(pr: PullRequestFacts, merged: boolean): string {
  if (merged) return 'merged without a review by anyone other than the author';
  return pr.state === 'OPEN' ? 'no review by anyone other than the author yet' : 'no review by anyone other than the author';
}

function notMergedReason(pr: PullRequestFacts): string {
  if (pr.state === 'OPEN') return 'not merged yet';
  if (pr.state === 'MERGED') return 'merge time not known';
  return `${pr.state.toLowerCase()} without merging`;
}

/** Where a workspace admin finds the app's settings in Bitbucket. */
export const SETTINGS_PAGE = 'Workspace settings → PanDev Metrics';

/**
 * File stats off: no size is read, and none will be until an admin turns them on, so "not known yet"
 * would leave a developer waiting. The card and the comment both say this.
 */
export const SIZE_NOT_READ = `not read while file stats are off: a workspace admin can turn them on under ${SETTINGS_PAGE} (Advanced, File stats in the backfill)`;

function size(pr: PullRequestFacts): Size {
  if (pr.size) return { ...pr.size };
  return { unavailable: pr.sizeUnavailable ? 'size not available from Bitbucket' : 'size not known yet' };
}
