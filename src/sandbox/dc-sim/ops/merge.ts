// The merge commit a pull request merge creates on its target branch, the target's `repo:refs_changed`,
// and the source branch deleted afterwards (the "delete source branch" box ticked).
import { SimConflictError } from '../../sim-common/errors';
import { refsChanged, ZERO } from '../events/build';
import { findCommit, pullRequestChanges } from '../model/commits';
import { branchTip } from '../model/refs';
import type { DcRepository } from '../model/repository';
import type { DcCommit, DcUser, PullRequest } from '../model/types';
import { mergeMessage, person, subject } from '../seed/commit-content';
import type { DcEvent, OpContext } from '../runtime';
import { wholeSeconds } from '../util/dates';
import { storeCommit } from './push';

export function commitMergeOf(ctx: OpContext, repo: DcRepository, pr: PullRequest, actor: DcUser): { commit: string; previousTarget: string; events: DcEvent[] } {
  const previousTarget = branchTip(ctx.model, repo, pr.to.branch);
  if (!previousTarget) throw new SimConflictError(`target branch ${pr.to.branch} is gone`);
  const source = ctx.model.repositoryById(pr.from.repositoryId);
  const commits = pr.commits.flatMap((hash) => findCommit(ctx.model, source, hash) ?? []);
  // A merge from a fork brings the fork's commits into the target repository, as the git merge does.
  if (source !== repo) commits.forEach((commit) => storeCommit(repo, commit));
  const at = wholeSeconds(ctx.model.stamp(ctx.at));
  const merger = person(actor);
  const merge: DcCommit = {
    id: ctx.rng.hex(40), parents: [previousTarget, pr.from.hash], author: merger, authorAt: at, committer: merger, committerAt: at,
    message: mergeMessage(repo, { id: pr.id, title: pr.title, branch: pr.from.branch, target: pr.to.branch }, commits.map((c) => ({ id: c.id, subject: subject(c.message) }))),
    changes: pullRequestChanges(commits),
  };
  storeCommit(repo, merge);
  repo.branches.set(pr.to.branch, merge.id);
  const events = [refsChanged(ctx, repo, actor, at, {
    name: pr.to.branch, kind: 'BRANCH', fromHash: previousTarget, toHash: merge.id, commits: [merge.id, ...[...pr.commits].reverse()],
  })];
  const sourceTip = branchTip(ctx.model, source, pr.from.branch);
  if (sourceTip && source === repo) {
    source.branches.delete(pr.from.branch);
    source.deletedBranches.add(pr.from.branch);
    events.push(refsChanged(ctx, source, actor, at, { name: pr.from.branch, kind: 'BRANCH', fromHash: sourceTip, toHash: ZERO }));
  }
  return { commit: merge.id, previousTarget, events };
}
