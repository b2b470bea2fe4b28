// Pushing commits to a branch: the commits, the push event, and the pull requests that follow it.
import type { Commit, Repository, SimUser } from '../model/types';
import { addCommit, branchPushEvent, type NewCommit } from './commits';
import type { Emitted, OpContext } from './context';
import { SimNotFoundError } from './errors';
import { followDestinationBranch, followSourceBranch } from './pull-requests';

/** Pushes to an existing branch, or creates it from `from` (one push event either way, as git does). */
export function pushCommits(
  ctx: OpContext, repo: Repository, pusher: SimUser, branch: string, commits: NewCommit[], from?: string,
): Emitted & { commits: Commit[] } {
  const before = repo.branches.get(branch);
  const start = before ?? from;
  if (!start) throw new SimNotFoundError(`branch ${branch} not found in ${repo.slug}`);
  let tip = start;
  const created = commits.map((spec) => {
    const commit = addCommit(ctx, repo, [tip], spec);
    tip = commit.hash;
    return commit;
  });
  repo.branches.set(branch, tip);
  followDestinationBranch(repo, branch);
  repo.updatedOn = ctx.model.stamp(ctx.at);
  const newestFirst = [...created].reverse();
  return {
    commits: created,
    events: [
      branchPushEvent(ctx, repo, pusher, { ref: branch, before, after: tip, commits: newestFirst }),
      ...followSourceBranch(ctx, repo, branch, pusher).events,
    ],
  };
}
