// Pull request lifecycle: open, edit, follow its source branch, merge, decline.
import { SimConflictError, SimNotFoundError } from '../../sim-common/errors';
import { forgePullRequest, repositoryScope } from '../events/build';
import type { ForgeEvent, PullRequestEvent } from '../events/types';
import { log } from '../model/graph';
import type { Commit, PullRequest, Repository, SimUser } from '../model/types';
import type { Micros } from '../util/time';
import { addCommit, branchPushEvent } from './commits';
import type { Emitted, OpContext } from './context';
import { deleteBranch } from './refs';

function pullRequestEvent(
  ctx: OpContext, repo: Repository, pr: PullRequest, actor: SimUser, at: Micros, eventType: PullRequestEvent['eventType'],
): PullRequestEvent {
  return { eventType, ...repositoryScope(ctx.model, repo, actor, at), pullrequest: forgePullRequest(ctx.model, pr) };
}

/** The activity log records each state of the pull request as an `update` entry. */
function recordUpdate(pr: PullRequest, actor: SimUser, at: Micros): void {
  pr.updatedOn = at;
  pr.activity.push({
    kind: 'update', date: at, actorUuid: actor.uuid, state: pr.state, title: pr.title, description: pr.description,
    reason: pr.reason, source: { ...pr.source }, destination: { ...pr.destination },
  });
}

export function requireOpen(pr: PullRequest): void {
  if (pr.state !== 'OPEN') throw new SimConflictError(`pull request #${pr.id} is ${pr.state}`);
}

export function findPullRequest(repo: Repository, id: number): PullRequest {
  const pr = repo.pullRequests.get(id);
  if (!pr) throw new SimNotFoundError(`pull request #${id} not found in ${repo.slug}`);
  return pr;
}

function tip(repo: Repository, branch: string): string {
  const hash = repo.branches.get(branch);
  if (!hash) throw new SimNotFoundError(`branch ${branch} not found in ${repo.slug}`);
  return hash;
}

export interface OpenSpec {
  author: SimUser;
  source: string;
  destination: string;
  title: string;
  description: string;
  reviewers: SimUser[];
  draft: boolean;
  closeSourceBranch: boolean;
}

export function openPullRequest(ctx: OpContext, repo: Repository, spec: OpenSpec): Emitted & { pullRequest: PullRequest } {
  if (spec.source === spec.destination) throw new SimConflictError('source and destination are the same branch');
  const source = { branch: spec.source, hash: tip(repo, spec.source) };
  const destination = { branch: spec.destination, hash: tip(repo, spec.destination) };
  const at = ctx.model.stamp(ctx.at);
  const pr: PullRequest = {
    id: repo.nextPullRequestId++,
    title: spec.title,
    description: spec.description,
    state: 'OPEN',
    authorUuid: spec.author.uuid,
    source,
    destination,
    createdOn: at,
    updatedOn: at,
    closedByUuid: null,
    mergeHash: null,
    closeSourceBranch: spec.closeSourceBranch,
    draft: spec.draft,
    reason: '',
    reviewerUuids: spec.reviewers.filter((user) => user.uuid !== spec.author.uuid).map((user) => user.uuid),
    participants: [],
    comments: [],
    activity: [],
  };
  repo.pullRequests.set(pr.id, pr);
  recordUpdate(pr, spec.author, at);
  return { pullRequest: pr, events: [pullRequestEvent(ctx, repo, pr, spec.author, at, 'avi:bitbucket:created:pullrequest')] };
}

export function editPullRequest(
  ctx: OpContext, repo: Repository, pr: PullRequest, actor: SimUser, changes: { title?: string; description?: string },
): Emitted {
  requireOpen(pr);
  const at = ctx.model.stamp(ctx.at);
  pr.title = changes.title ?? pr.title;
  pr.description = changes.description ?? pr.description;
  recordUpdate(pr, actor, at);
  return { events: [pullRequestEvent(ctx, repo, pr, actor, at, 'avi:bitbucket:updated:pullrequest')] };
}

/** After a push, open pull requests from that branch point at the new tip (Bitbucket re-computes them). */
export function followSourceBranch(ctx: OpContext, repo: Repository, branch: string, actor: SimUser): Emitted {
  const events = [...repo.pullRequests.values()]
    .filter((pr) => pr.state === 'OPEN' && pr.source.branch === branch)
    .map((pr) => {
      const at = ctx.model.stamp(ctx.at);
      pr.source.hash = tip(repo, branch);
      pr.destination.hash = repo.branches.get(pr.destination.branch) ?? pr.destination.hash;
      recordUpdate(pr, actor, at);
      return pullRequestEvent(ctx, repo, pr, actor, at, 'avi:bitbucket:updated:pullrequest');
    });
  return { events };
}

/** Open pull requests into a branch that moved compare against its new tip (no event, as in Bitbucket). */
export function followDestinationBranch(repo: Repository, branch: string): void {
  const hash = repo.branches.get(branch);
  for (const pr of repo.pullRequests.values()) {
    if (hash && pr.state === 'OPEN' && pr.destination.branch === branch) pr.destination.hash = hash;
  }
}

/**
 * A merge commit on the destination with the destination tip and the source tip as parents; squashed,
 * as Bitbucket's "squash" strategy does, one commit whose only parent is the destination tip, so the
 * destination never reaches the branch's own commits; fast-forwarded, no commit: the destination moves
 * to the source tip, which is the pull request's merge commit (refused, as Bitbucket does, when the
 * destination has moved on past the source's base).
 */
export function mergePullRequest(
  ctx: OpContext, repo: Repository, pr: PullRequest, actor: SimUser, options: { closeSourceBranch?: boolean; strategy?: 'merge_commit' | 'squash' | 'fast_forward' } = {},
): Emitted & { mergeCommit: string } {
  requireOpen(pr);
  const destinationTip = tip(repo, pr.destination.branch);
  const sourceTip = repo.branches.get(pr.source.branch) ?? pr.source.hash;
  const merge = options.strategy === 'fast_forward' ? fastForward(repo, pr, destinationTip, sourceTip) : addCommit(ctx, repo, options.strategy === 'squash' ? [destinationTip] : [destinationTip, sourceTip], {
    author: actor,
    message: `Merged in ${pr.source.branch} (pull request #${pr.id})\n\n${pr.title}`,
    files: [],
  });
  repo.branches.set(pr.destination.branch, merge.hash);
  repo.updatedOn = ctx.model.stamp(ctx.at);
  followDestinationBranch(repo, pr.destination.branch);
  const at = ctx.model.stamp(ctx.at);
  Object.assign(pr, {
    state: 'MERGED', closedByUuid: actor.uuid, mergeHash: merge.hash,
    source: { branch: pr.source.branch, hash: sourceTip },
    destination: { branch: pr.destination.branch, hash: destinationTip },
    closeSourceBranch: options.closeSourceBranch ?? pr.closeSourceBranch,
  });
  recordUpdate(pr, actor, at);
  const events: ForgeEvent[] = [
    pullRequestEvent(ctx, repo, pr, actor, at, 'avi:bitbucket:fulfilled:pullrequest'),
    branchPushEvent(ctx, repo, actor, { ref: pr.destination.branch, before: destinationTip, after: merge.hash, commits: options.strategy === 'fast_forward' ? log(repo, [sourceTip], [destinationTip]) : [merge] }),
  ];
  if (pr.closeSourceBranch && repo.branches.has(pr.source.branch)) events.push(...deleteBranch(ctx, repo, actor, pr.source.branch).events);
  return { mergeCommit: merge.hash, events };
}

function fastForward(repo: Repository, pr: PullRequest, destinationTip: string, sourceTip: string): Commit {
  if (!log(repo, [destinationTip], [sourceTip]).length) return repo.commits.get(sourceTip)!;
  throw new SimConflictError(`pull request #${pr.id} cannot be fast-forwarded: ${pr.destination.branch} has commits ${pr.source.branch} lacks`);
}

export function declinePullRequest(ctx: OpContext, repo: Repository, pr: PullRequest, actor: SimUser, reason = ''): Emitted {
  requireOpen(pr);
  const at = ctx.model.stamp(ctx.at);
  Object.assign(pr, { state: 'DECLINED', closedByUuid: actor.uuid, reason });
  recordUpdate(pr, actor, at);
  return { events: [pullRequestEvent(ctx, repo, pr, actor, at, 'avi:bitbucket:rejected:pullrequest')] };
}
