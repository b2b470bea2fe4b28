// Pull request actions: each runs one or more operations at the clock's time and returns their events.
import { SimConflictError, SimNotFoundError } from '../../sim-common/errors';
import { COMMENTS, NOUNS, VERBS } from '../../sim-common/words';
import type { ForgeEvent } from '../events/types';
import type { PullRequest, SimUser } from '../model/types';
import { addComment, deleteComment, editComment, findComment } from '../ops/comments';
import { declinePullRequest, editPullRequest, mergePullRequest, openPullRequest, requireOpen } from '../ops/pull-requests';
import { pushCommits } from '../ops/push';
import { slugify } from '../ops/repositories';
import { review, type ReviewDecision } from '../ops/reviews';
import type { ActionArgs } from './schemas';
import type { ActionScope } from './scope';

export type ActionResult<T = object> = T & { events: ForgeEvent[] };

export function openPullRequestAction(scope: ActionScope, args: ActionArgs<'openPullRequest'>): ActionResult<{ pullRequestId: number; sourceBranch: string; commits: string[] }> {
  const repo = scope.repo(args.repository);
  const rng = scope.runtime.rng;
  const author = scope.user(args.author, () => scope.randomUser());
  const noun = rng.pick(NOUNS);
  let source = args.sourceBranch ?? `feature/${slugify(noun)}-${repo.nextPullRequestId}`;
  while (!args.sourceBranch && repo.branches.has(source)) source = `${source}-${rng.hex(4)}`;
  const destination = args.destinationBranch ?? repo.mainBranch;
  // Checked before anything is pushed, so a refused request leaves the repository untouched.
  if (source === destination) throw new SimConflictError('source and destination are the same branch');
  if (!repo.branches.has(destination)) throw new SimNotFoundError(`branch ${destination} not found in ${repo.slug}`);
  const reviewers = args.reviewers
    ? args.reviewers.map((ref) => scope.user(ref, () => author))
    : rng.shuffle(scope.runtime.model.users.filter((user) => user !== author)).slice(0, rng.int(1, 2));
  const title = args.title ?? `${rng.pick(VERBS)} ${noun}`;
  return scope.runtime.run((ctx) => {
    const pushed = pushCommits(ctx, repo, author, source, Array.from({ length: args.commits ?? rng.int(1, 3) }, () => ({ author })), repo.branches.get(destination));
    const opened = openPullRequest(ctx, repo, {
      author, source, destination, title, description: args.description ?? `${title}.`, reviewers,
      draft: args.draft ?? false, closeSourceBranch: args.closeSourceBranch ?? true,
    });
    return {
      pullRequestId: opened.pullRequest.id, sourceBranch: source, commits: pushed.commits.map((commit) => commit.hash),
      events: [...pushed.events, ...opened.events],
    };
  });
}

export function updatePullRequestAction(scope: ActionScope, args: ActionArgs<'updatePullRequest'>): ActionResult {
  const { repo, pr } = scope.pullRequest(args);
  const actor = scope.user(args.actor, () => scope.runtime.model.userByUuid(pr.authorUuid));
  const changes = { ...(args.title === undefined ? {} : { title: args.title }), ...(args.description === undefined ? {} : { description: args.description }) };
  return scope.runtime.run((ctx) => editPullRequest(ctx, repo, pr, actor, changes));
}

export function pushToPullRequestAction(scope: ActionScope, args: ActionArgs<'pushToPullRequest'>): ActionResult<{ commits: string[] }> {
  const { repo, pr } = scope.pullRequest(args);
  requireOpen(pr);
  const actor = scope.user(args.actor, () => scope.runtime.model.userByUuid(pr.authorUuid));
  const count = args.commits ?? 1;
  return scope.runtime.run((ctx) => {
    const pushed = pushCommits(ctx, repo, actor, pr.source.branch, Array.from({ length: count }, () => ({ author: actor })));
    return { commits: pushed.commits.map((commit) => commit.hash), events: pushed.events };
  });
}

/** Without a named reviewer, picks someone for whom the decision makes sense (a reviewer first). */
function defaultReviewer(scope: ActionScope, pr: PullRequest, decision: ReviewDecision): SimUser {
  const model = scope.runtime.model;
  const stateOf = (user: SimUser) => pr.participants.find((participant) => participant.userUuid === user.uuid);
  const fits: Record<ReviewDecision, (user: SimUser) => boolean> = {
    'approve': (user) => !stateOf(user)?.approved,
    'unapprove': (user) => stateOf(user)?.approved === true,
    'request-changes': (user) => stateOf(user)?.state !== 'changes_requested',
    'remove-change-request': (user) => stateOf(user)?.state === 'changes_requested',
  };
  const reviewers = pr.reviewerUuids.map((uuid) => model.userByUuid(uuid));
  const others = model.users.filter((user) => user.uuid !== pr.authorUuid && !reviewers.includes(user));
  const candidate = [...reviewers, ...scope.runtime.rng.shuffle(others)].find(fits[decision]);
  if (!candidate) throw new SimConflictError(`nobody can ${decision} pull request #${pr.id}`);
  return candidate;
}

export function reviewAction(scope: ActionScope, args: ActionArgs<'approvePullRequest'>, decision: ReviewDecision): ActionResult<{ reviewer: string }> {
  const { repo, pr } = scope.pullRequest(args);
  const reviewer = scope.user(args.reviewer, () => defaultReviewer(scope, pr, decision));
  return { reviewer: reviewer.uuid, ...scope.runtime.run((ctx) => review(ctx, repo, pr, reviewer, decision)) };
}

export function addCommentAction(scope: ActionScope, args: ActionArgs<'addComment'>): ActionResult<{ commentId: number }> {
  const { repo, pr } = scope.pullRequest(args);
  const author = scope.user(args.author, () => scope.randomUser([scope.runtime.model.userByUuid(pr.authorUuid)]));
  const raw = args.content ?? scope.runtime.rng.pick(COMMENTS);
  return scope.runtime.run((ctx) => {
    const added = addComment(ctx, repo, pr, author, { raw, ...(args.parentId === undefined ? {} : { parentId: args.parentId }) });
    return { commentId: added.comment.id, events: added.events };
  });
}

/** Comments are edited and deleted by their authors. */
export function editCommentAction(scope: ActionScope, args: ActionArgs<'editComment'>): ActionResult {
  const { repo, pr } = scope.pullRequest(args);
  const author = scope.runtime.model.userByUuid(findComment(pr, args.commentId).userUuid);
  return scope.runtime.run((ctx) => editComment(ctx, repo, pr, args.commentId, author, args.content));
}

export function deleteCommentAction(scope: ActionScope, args: ActionArgs<'deleteComment'>): ActionResult {
  const { repo, pr } = scope.pullRequest(args);
  const actor = scope.user(args.actor, () => scope.runtime.model.userByUuid(findComment(pr, args.commentId).userUuid));
  return scope.runtime.run((ctx) => deleteComment(ctx, repo, pr, args.commentId, actor));
}

export function mergePullRequestAction(scope: ActionScope, args: ActionArgs<'mergePullRequest'>): ActionResult<{ mergeCommit: string }> {
  const { repo, pr } = scope.pullRequest(args);
  const actor = scope.user(args.actor, () => scope.runtime.model.userByUuid(pr.authorUuid));
  const options = { ...(args.closeSourceBranch === undefined ? {} : { closeSourceBranch: args.closeSourceBranch }), ...(args.strategy ? { strategy: args.strategy } : {}) };
  return scope.runtime.run((ctx) => mergePullRequest(ctx, repo, pr, actor, options));
}

export function declinePullRequestAction(scope: ActionScope, args: ActionArgs<'declinePullRequest'>): ActionResult {
  const { repo, pr } = scope.pullRequest(args);
  const actor = scope.user(args.actor, () => scope.runtime.model.userByUuid(pr.authorUuid));
  return scope.runtime.run((ctx) => declinePullRequest(ctx, repo, pr, actor, args.reason ?? ''));
}
