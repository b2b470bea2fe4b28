// Branches and tags. Explicit tips live in the repository's map; the source branch of every open seeded
// pull request exists too, derived from its seed until an action gives the pull request explicit state.
import { pullRequestIdentity, pullRequestIdOfBranch } from '../seed/pull-request-identity';
import { findCommit, seededTip } from './commits';
import type { DcRepository } from './repository';
import type { DcModel } from './state';

export interface BranchRef {
  name: string;
  hash: string;
}

function derivedBranch(model: DcModel, repo: DcRepository, id: number): BranchRef | undefined {
  const pr = repo.seededPullRequest(id);
  if (!pr || pr.state !== 'OPEN' || repo.live.has(id) || repo.deletedPullRequests.has(id)) return undefined;
  const name = pullRequestIdentity(model, repo, id).branch;
  return repo.deletedBranches.has(name) ? undefined : { name, hash: seededTip(model, repo, pr) };
}

export function branchTip(model: DcModel, repo: DcRepository, name: string): string | undefined {
  const explicit = repo.branches.get(name);
  if (explicit) return explicit;
  const id = pullRequestIdOfBranch(name);
  const derived = id === undefined ? undefined : derivedBranch(model, repo, id);
  return derived?.name === name ? derived.hash : undefined;
}

export function branches(model: DcModel, repo: DcRepository): BranchRef[] {
  const all = [...repo.branches].map(([name, hash]) => ({ name, hash }));
  for (const pr of repo.seeded) {
    const derived = pr.state === 'OPEN' ? derivedBranch(model, repo, pr.id) : undefined;
    if (derived && !repo.branches.has(derived.name)) all.push(derived);
  }
  return all;
}

/**
 * What `since`, `until` and `at` accept: `refs/heads/x`, `refs/tags/x`, a bare branch or tag name (branches
 * win, as in Data Center) or a full commit id.
 */
export function resolveRevision(model: DcModel, repo: DcRepository, revision: string): string | undefined {
  if (revision.startsWith('refs/heads/')) return branchTip(model, repo, revision.slice('refs/heads/'.length));
  if (revision.startsWith('refs/tags/')) return repo.tags.get(revision.slice('refs/tags/'.length))?.target;
  const branch = branchTip(model, repo, revision) ?? repo.tags.get(revision)?.target;
  if (branch) return branch;
  return findCommit(model, repo, revision.toLowerCase()) ? revision.toLowerCase() : undefined;
}

export function defaultTip(model: DcModel, repo: DcRepository): string {
  const tip = branchTip(model, repo, repo.defaultBranch);
  if (!tip) throw new Error(`${repo.slug} has no ${repo.defaultBranch}`);
  return tip;
}
