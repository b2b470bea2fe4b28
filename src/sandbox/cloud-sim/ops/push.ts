// Pushing commits to a branch: the commits, the push event, and the pull requests that follow it.
import { SimNotFoundError } from '../../sim-common/errors';
import type { Commit, Repository, SimUser } from '../model/types';
import { addCommit, branchPushEvent, type NewCommit } from './commits';
import type { Emitted, OpContext } from './context';
import { followDestinationBranch, followSourceBranch } from './pull-requests';

/**
 * Pushes to an existing branch, or creates it from `from` (one push event either way, as git does).
 * With `onto`, the branch is reset there first: a forced push, which may leave its old commits unreached.
 */
export function pushCommits(
  ctx: OpContext, repo: Repository, pusher: SimUser, branch: string, commits: NewCommit[], from?: string, onto?: string,
): Emitted & { commits: Commit[] } {
  const before = repo.branches.get(branch);
  const start = onto ?? before ?? from;
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
      branchPushEvent(ctx, repo, pusher, { ref: branch, before, after: tip, commits: newestFirst, forced: onto !== undefined }),
      ...followSourceBranch(ctx, repo, branch, pusher).events,
    ],
  };
}

/**
 * A forced push, then the garbage collection Bitbucket runs in time: the commits no branch, tag or pull
 * request reaches any more are gone (a commit request for one answers 404). Played at once, so what a
 * client recorded of the old history can be seen gone.
 */
export function forcePush(
  ctx: OpContext, repo: Repository, pusher: SimUser, branch: string, onto: string, commits: NewCommit[],
): Emitted & { commits: Commit[]; removed: string[] } {
  if (!repo.branches.has(branch)) throw new SimNotFoundError(`branch ${branch} not found in ${repo.slug}`);
  const pushed = pushCommits(ctx, repo, pusher, branch, commits, undefined, onto);
  return { ...pushed, removed: collectGarbage(repo) };
}

function collectGarbage(repo: Repository): string[] {
  const roots = [...repo.branches.values(), ...[...repo.tags.values()].map((tag) => tag.target)];
  for (const pr of repo.pullRequests.values()) roots.push(pr.source.hash, pr.destination.hash, ...(pr.mergeHash ? [pr.mergeHash] : []));
  const reached = new Set<string>();
  while (roots.length) {
    const hash = roots.pop() as string;
    const commit = repo.commits.get(hash);
    if (!commit || reached.has(hash)) continue;
    reached.add(hash);
    roots.push(...commit.parents);
  }
  const removed = [...repo.commits.keys()].filter((hash) => !reached.has(hash));
  for (const hash of removed) repo.commits.delete(hash);
  return removed;
}
