import { CommitGraph, type MergedPullRequest } from '../history/graph';
import type { PullRequestFacts } from './facts';
import type { BranchFacts, KnownCommits } from './store';

// Live, a pull request's first commit comes from what the app saw pushed to its source branch (the
// backfill reads it from the commit graph instead). A branch name lives many lives: `develop` opens a
// release pull request every week, `feature/x` is deleted and made again. A branch's facts start a new
// life when it is created or deleted and when a pull request from it closes, and a pull request only
// takes the facts of the life it was opened in.

export type FirstCommit = Pick<PullRequestFacts, 'firstCommitOn' | 'firstCommitUnavailable' | 'firstCommitFromBranch'>;

/** Whether the branch's facts are of the life this pull request was opened in. */
export function sameLife(branch: BranchFacts, pr: Pick<PullRequestFacts, 'createdOn'>): boolean {
  const since = Date.parse(branch.since ?? '');
  return Number.isNaN(since) || since <= Date.parse(pr.createdOn);
}

/**
 * The first commit from the source branch's facts: undefined when they tell nothing for this pull
 * request (yet). The branch's first push lists its commits that the main branch lacks, so a branch
 * made from `develop` or from another feature branch also lists that branch's commits not released
 * yet: `measured` below narrows it to the pull request's own when its figures are read.
 */
export function liveFirstCommit(pr: PullRequestFacts, branch: BranchFacts | undefined): FirstCommit | undefined {
  if (!branch || !sameLife(branch, pr)) return undefined;
  // Work merged elsewhere when this life began has not reached this destination: it is this pull request's too.
  const elsewhere = branch.merged && pr.destinationBranch && branch.merged.into !== pr.destinationBranch ? branch.merged.firstCommitOn : undefined;
  const firstCommitOn = [branch.firstCommitOn, elsewhere].filter((d): d is string => !!d).sort((a, b) => Date.parse(a) - Date.parse(b))[0];
  if (!firstCommitOn) return undefined;
  if (branch.forced) return { firstCommitUnavailable: 'force-pushed' };
  return { firstCommitOn, firstCommitUnavailable: undefined, firstCommitFromBranch: true };
}

/**
 * A first commit taken from the branch's pushes, measured against the pull request's destination as
 * the body last named it (a merged pull request's: the main branch as it merged, which by then may
 * hold the feature branch this one was made from). The walk needs every commit seen, which the
 * figures read anyway; delivering a pull request reads none. `merged` are the repository's merged
 * pull requests (mergedPullRequests): a squash-merged one left its branch's commits out of the destination's ancestry, and
 * its source commit tells them. Kept as it was when the commits seen do not settle it, and never
 * moved earlier than the branch's first push in this life. A branch force-pushed has no first push
 * to go by: the walk alone tells, when the commits seen settle it.
 */
export function measured(pr: PullRequestFacts, graph: CommitGraph, merged: MergedPullRequests = []): PullRequestFacts {
  if (!measurable(pr) || !pr.sourceCommit || !pr.destinationCommit) return pr;
  const walk = graph.pullRequestCommits(short(pr.sourceCommit), short(pr.destinationCommit), merged.filter((other) => other.id !== pr.id));
  if (walk.incomplete || !walk.firstCommitAt || walk.firstCommitAt === pr.firstCommitOn) return pr;
  // After a force push only the walk, from where the branch is now, tells what is left of its work (an
  // amended last commit leaves the first; a rebase keeps the author dates); without the branch's push
  // in its life, likewise.
  if (!pr.firstCommitOn) return { ...pr, firstCommitOn: walk.firstCommitAt, firstCommitUnavailable: undefined };
  // Never before the branch's life: older commits the destination lacks are an earlier pull
  // request's (declined, or squashed without being stored), not this one's.
  if (Date.parse(walk.firstCommitAt) < Date.parse(pr.firstCommitOn)) return pr;
  return { ...pr, firstCommitOn: walk.firstCommitAt };
}

/**
 * Whether the commits seen may settle the first commit when the figures are read: see `measured`.
 * `source-unknown` too: a branch's push recorded only after its pull request closed (delivered late,
 * or retried) belongs to a life that has ended, so the branch's facts never give it; its commits are
 * stored all the same, and the walk tells when they reach from the source to the destination.
 */
export function measurable(pr: PullRequestFacts): boolean {
  const fromBranch = pr.firstCommitFromBranch === true && !!pr.firstCommitOn;
  const walkOnly = pr.firstCommitUnavailable === 'force-pushed' || pr.firstCommitUnavailable === 'source-unknown';
  return (fromBranch || walkOnly) && !!pr.sourceCommit && !!pr.destinationCommit;
}

const short = (hash: string) => hash.slice(0, 12);

/** The repository's merged pull requests as the walk takes them: made once per snapshot, not per pull request measured. */
export type MergedPullRequests = Array<MergedPullRequest & { id: number }>;

export function mergedPullRequests(stored: Iterable<PullRequestFacts>): MergedPullRequests {
  const merged: MergedPullRequests = [];
  for (const pr of stored) if (pr.state === 'MERGED' && pr.mergeCommit && pr.sourceCommit) merged.push({ id: pr.id, merge: short(pr.mergeCommit), source: short(pr.sourceCommit) });
  return merged;
}

/** The commits seen, as a graph keyed the way pull request bodies name commits. */
export function commitGraph(known: KnownCommits): CommitGraph {
  return new CommitGraph([...known].map(([hash, commit]) => ({ type: 'commit', hash, ...(commit.date ? { date: commit.date } : {}), parents: commit.parents.map((p) => ({ hash: short(p) })) })));
}
