import { CommitGraph } from '../history/graph';
import type { PullRequestFacts } from './facts';
import type { BranchFacts, KnownCommits } from './store';

// Live, a pull request's first commit comes from what the app saw pushed to its source branch (the
// backfill reads it from the commit graph instead). A branch name lives many lives: `develop` opens a
// release pull request every week, `feature/x` is deleted and made again. A branch's facts start a new
// life when it is created or deleted and when a pull request from it closes, and a pull request only
// takes the facts of the life it was opened in.

export type FirstCommit = Pick<PullRequestFacts, 'firstCommitOn' | 'firstCommitUnavailable'>;

/** Whether the branch's facts are of the life this pull request was opened in. */
export function sameLife(branch: BranchFacts, pr: Pick<PullRequestFacts, 'createdOn'>): boolean {
  const since = Date.parse(branch.since ?? '');
  return Number.isNaN(since) || since <= Date.parse(pr.createdOn);
}

/**
 * The first commit from the source branch's facts: undefined when they tell nothing for this pull
 * request (yet). The branch's first push lists its commits that the main branch lacks, so a branch
 * made from `develop` also lists `develop`'s commits not released yet; where the commits seen allow,
 * the pull request is measured against its own destination instead.
 */
export function liveFirstCommit(pr: PullRequestFacts, branch: BranchFacts | undefined, known: KnownCommits | undefined): FirstCommit | undefined {
  if (!branch?.firstCommitOn || !sameLife(branch, pr)) return undefined;
  if (branch.forced) return { firstCommitUnavailable: 'force-pushed' };
  const measured = known && pr.sourceCommit && pr.destinationCommit ? againstDestination(known, pr.sourceCommit, pr.destinationCommit) : undefined;
  return { firstCommitOn: measured ?? branch.firstCommitOn, firstCommitUnavailable: undefined };
}

/** Whether the destination walk could change the answer: only then are the repository's commits read. */
export function wantsCommits(pr: PullRequestFacts, branch: BranchFacts | undefined): boolean {
  return !!(branch?.firstCommitOn && !branch.forced && sameLife(branch, pr) && pr.sourceCommit && pr.destinationCommit);
}

/**
 * The oldest commit reachable from the source commit that the destination commit does not reach, when
 * every path from the source stays within the commits seen (the same walk the backfill makes).
 */
function againstDestination(known: KnownCommits, source: string, destination: string): string | undefined {
  const short = (hash: string) => hash.slice(0, 12);
  const graph = new CommitGraph([...known].map(([hash, commit]) => ({ type: 'commit', hash, ...(commit.date ? { date: commit.date } : {}), parents: commit.parents.map((p) => ({ hash: short(p) })) })));
  const walk = graph.pullRequestCommits(short(source), short(destination));
  return walk.incomplete ? undefined : (walk.firstCommitAt ?? undefined);
}
