// Pull requests by id. A seeded one is regenerated on every read until an action changes it; then it is
// materialised (its generated state kept explicitly) and from then on changed in place.
import { generatePullRequest } from '../seed/pull-request-plan';
import { branchTip } from './refs';
import type { DcRepository } from './repository';
import type { DcModel } from './state';
import type { PullRequest } from './types';

export function findPullRequest(model: DcModel, repo: DcRepository, id: number): PullRequest | undefined {
  if (repo.deletedPullRequests.has(id)) return undefined;
  const live = repo.live.get(id);
  if (live) return live;
  const seeded = repo.seededPullRequest(id);
  return seeded ? generatePullRequest(model, repo, seeded) : undefined;
}

/** The pull request as explicit, mutable state (its source branch becomes an explicit branch if open). */
export function materialize(model: DcModel, repo: DcRepository, id: number): PullRequest | undefined {
  const existing = repo.live.get(id);
  if (existing || repo.deletedPullRequests.has(id)) return existing;
  const pr = findPullRequest(model, repo, id);
  if (!pr) return undefined;
  if (pr.state === 'OPEN' && !repo.deletedBranches.has(pr.from.branch)) {
    const tip = branchTip(model, repo, pr.from.branch);
    if (tip) repo.branches.set(pr.from.branch, tip);
  }
  repo.live.set(id, pr);
  return pr;
}

/** Where an open pull request's target stands now; a closed one keeps what it had. */
export function targetHash(model: DcModel, repo: DcRepository, pr: PullRequest): string {
  return pr.to.hash ?? branchTip(model, repo, pr.to.branch) ?? '';
}

export type PullRequestOrder = 'NEWEST' | 'OLDEST';
/** What "newer" means to `order`: the spec leaves it open (see DcSimulatorOptions.pullRequestsBy). */
export type PullRequestSortKey = 'updated' | 'created';

/** Ids of the pull requests in `states`, by last update or creation (then id) as `order` says. */
export function listPullRequestIds(repo: DcRepository, states: ReadonlySet<string>, order: PullRequestOrder, by: PullRequestSortKey = 'updated'): number[] {
  const matching: { id: number; createdAt: number; updatedAt: number }[] = [];
  for (const summary of repo.summaries()) if (states.has(summary.state)) matching.push(summary);
  const sign = order === 'OLDEST' ? 1 : -1;
  const key = (pr: { createdAt: number; updatedAt: number }) => (by === 'created' ? pr.createdAt : pr.updatedAt);
  matching.sort((a, b) => sign * (key(a) - key(b)) || sign * (a.id - b.id));
  return matching.map((summary) => summary.id);
}
