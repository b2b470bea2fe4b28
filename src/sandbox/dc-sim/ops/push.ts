// Pushes: new commits on a branch (`repo:refs_changed`), and every open pull request from that branch
// following it (a RESCOPED activity and `pr:from_ref_updated`), as Data Center does on a push.
import { SimNotFoundError } from '../../sim-common/errors';
import { pullRequestEvent, refsChanged, ZERO } from '../events/build';
import { materialize, targetHash } from '../model/pull-requests';
import { branchTip } from '../model/refs';
import type { DcRepository } from '../model/repository';
import type { DcModel } from '../model/state';
import type { DcCommit, DcUser, PullRequest } from '../model/types';
import { commitMessage, fileChanges, person } from '../seed/commit-content';
import { pullRequestIdentity, pullRequestIdOfBranch } from '../seed/pull-request-identity';
import type { DcEvent, Emitted, OpContext } from '../runtime';
import { wholeSeconds } from '../util/dates';
import { NOUNS } from '../../sim-common/words';
import { record, scope } from './common';

/** Adds a commit to the repository's object store (and its new files to the known paths). */
export function storeCommit(repo: DcRepository, commit: DcCommit): void {
  repo.commits.set(commit.id, commit);
  for (const change of commit.changes) if (change.type === 'ADD' && !repo.files.includes(change.path)) repo.files.push(change.path);
}

/** Open pull requests (in any repository, forks included) whose source is this branch. */
export function openPullRequestsFrom(model: DcModel, source: DcRepository, branch: string): { repo: DcRepository; id: number }[] {
  const found: { repo: DcRepository; id: number }[] = [];
  const id = pullRequestIdOfBranch(branch);
  const seeded = id === undefined ? undefined : source.seededPullRequest(id);
  if (seeded && seeded.state === 'OPEN' && !source.live.has(seeded.id) && !source.deletedPullRequests.has(seeded.id)
    && pullRequestIdentity(model, source, seeded.id).branch === branch) found.push({ repo: source, id: seeded.id });
  for (const repo of model.repositories) {
    for (const pr of repo.live.values()) {
      if (pr.state === 'OPEN' && pr.from.repositoryId === source.id && pr.from.branch === branch) found.push({ repo, id: pr.id });
    }
  }
  return found;
}

function rescope(ctx: OpContext, repo: DcRepository, pr: PullRequest, actor: DcUser, added: string[]): DcEvent {
  const source = ctx.model.repositoryById(pr.from.repositoryId);
  const previousFromHash = pr.from.hash;
  const toHash = targetHash(ctx.model, repo, pr);
  pr.from.hash = branchTip(ctx.model, source, pr.from.branch) as string;
  pr.commits = scope(ctx, source, pr.from.hash, toHash);
  pr.version += 1;
  const at = ctx.model.stamp(ctx.at);
  record(ctx, pr, actor, at, { action: 'RESCOPED', fromHash: pr.from.hash, previousFromHash, toHash, previousToHash: toHash, added, removed: [] });
  return pullRequestEvent(ctx, 'pr:from_ref_updated', repo, pr, actor, at, { previousFromHash });
}

/**
 * `from`: where a new branch starts; `onto`: a forced push, the branch first reset to that commit (the
 * webhook still names the old tip as `fromHash`); `files`: how many files each commit changes.
 */
export function pushCommits(
  ctx: OpContext, repo: DcRepository, actor: DcUser, branch: string, messages: (string | undefined)[], options: { from?: string; onto?: string; files?: number } = {},
): Emitted & { commits: string[] } {
  const previous = branchTip(ctx.model, repo, branch);
  let parent = options.onto ?? previous ?? options.from;
  if (!parent) throw new SimNotFoundError(`branch ${branch} not found in ${repo.slug}`);
  const at = wholeSeconds(ctx.model.stamp(ctx.at));
  const author = person(actor);
  const pushed: string[] = [];
  for (const message of messages) {
    const commit: DcCommit = {
      id: ctx.rng.hex(40), parents: [parent], author, authorAt: at, committer: author, committerAt: at,
      message: message ?? commitMessage(ctx.rng, repo, ctx.rng.pick(NOUNS)), changes: fileChanges(ctx.rng, repo, options.files),
    };
    storeCommit(repo, commit);
    pushed.push(commit.id);
    parent = commit.id;
  }
  const followers = openPullRequestsFrom(ctx.model, repo, branch);
  repo.branches.set(branch, parent);
  repo.deletedBranches.delete(branch);
  const events = [refsChanged(ctx, repo, actor, at, { name: branch, kind: 'BRANCH', fromHash: previous ?? ZERO, toHash: parent, commits: [...pushed].reverse() })];
  for (const follower of followers) {
    const pr = materialize(ctx.model, follower.repo, follower.id) as PullRequest;
    events.push(rescope(ctx, follower.repo, pr, actor, pushed));
  }
  return { commits: pushed, events };
}

/**
 * `git push --force` followed by Data Center's `git gc`: the branch is reset to `onto`, `messages` are
 * committed on it, and the live commits no ref reaches any more are gone, so `since=` or `until=` one of
 * them answers 404 as for any commit the repository does not hold. Seeded history is never removed.
 */
export function forcePush(ctx: OpContext, repo: DcRepository, actor: DcUser, branch: string, onto: string, messages: (string | undefined)[]): Emitted & { commits: string[]; removed: string[] } {
  if (!branchTip(ctx.model, repo, branch)) throw new SimNotFoundError(`branch ${branch} not found in ${repo.slug}`);
  const pushed = pushCommits(ctx, repo, actor, branch, messages, { onto });
  return { ...pushed, removed: collectGarbage(ctx.model, repo) };
}

/** Drops the repository's live commits that no branch, tag, pull request or fork reaches. */
function collectGarbage(model: DcModel, repo: DcRepository): string[] {
  const roots: string[] = [];
  for (const holder of model.repositories.filter((other) => other === repo || other.originId === repo.id)) {
    roots.push(...holder.branches.values(), ...[...holder.tags.values()].map((tag) => tag.target));
    for (const pr of holder.live.values()) roots.push(pr.from.hash, ...pr.commits, ...(pr.mergeCommit ? [pr.mergeCommit] : []), ...(pr.to.hash ? [pr.to.hash] : []));
  }
  for (const other of model.repositories) {
    for (const pr of other.live.values()) if (pr.from.repositoryId === repo.id) roots.push(pr.from.hash, ...pr.commits);
  }
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
