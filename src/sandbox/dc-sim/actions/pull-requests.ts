// Pull request actions: each resolves names, makes the choices left open, and runs its operations at
// the clock's time through the runtime (which delivers the webhooks).
import { SimConflictError } from '../../sim-common/errors';
import { COMMENTS, NOUNS, VERBS } from '../../sim-common/words';
import type { DcEvent } from '../runtime';
import type { DcUser, PullRequest } from '../model/types';
import { requireOpen } from '../ops/common';
import * as ops from '../ops/pull-requests';
import { pushCommits } from '../ops/push';
import { addComment, deleteComment, editComment, review, type ReviewDecision } from '../ops/reviews';
import { slugify } from '../seed/pull-request-identity';
import type { ActionArgs } from './schemas';
import type { ActionScope } from './scope';

export type ActionResult<T = object> = T & { events: DcEvent[] };

export function openPullRequestAction(scope: ActionScope, args: ActionArgs<'openPullRequest'>): ActionResult<{ pullRequestId: number; fromBranch: string; commits: string[] }> {
  const repo = scope.repo(args.repository);
  const source = args.fromRepository ? scope.repo(args.fromRepository) : repo;
  if (source !== repo && source.originId !== repo.id) throw new SimConflictError(`${args.fromRepository} is not a fork of ${args.repository}`);
  const rng = scope.runtime.rng;
  const author = scope.user(args.author, () => scope.randomUser());
  const noun = rng.pick(NOUNS);
  const toBranch = args.toBranch ?? repo.defaultBranch;
  let fromBranch = args.fromBranch ?? `feature/${slugify(noun)}-${rng.hex(4)}`;
  while (!args.fromBranch && source.branches.has(fromBranch)) fromBranch = `${fromBranch}-${rng.hex(2)}`;
  if (source === repo && fromBranch === toBranch) throw new SimConflictError('source and target are the same branch');
  const base = scope.commit(repo, toBranch);
  const reviewers = args.reviewers
    ? args.reviewers.map((name) => scope.user(name, () => author))
    : rng.shuffle(scope.runtime.model.users.slice(1).filter((candidate) => candidate !== author)).slice(0, rng.int(1, 2));
  const title = args.title ?? `${rng.pick(VERBS)} ${noun}`;
  return scope.runtime.run((ctx) => {
    const count = args.commits ?? rng.int(1, 3);
    const pushed = pushCommits(ctx, source, author, fromBranch, Array.from({ length: count }, () => undefined), { from: base });
    const opened = ops.openPullRequest(ctx, repo, {
      author, source, fromBranch, toBranch, title, description: args.description ?? `${title}.`, reviewers, draft: args.draft ?? false,
    });
    return { pullRequestId: opened.pullRequest.id, fromBranch, commits: pushed.commits, events: [...pushed.events, ...opened.events] };
  });
}

export function updatePullRequestAction(scope: ActionScope, args: ActionArgs<'updatePullRequest'>): ActionResult {
  const { repo, pr } = scope.pullRequest(args);
  const actor = scope.user(args.actor, () => scope.author(pr));
  const changes = {
    ...(args.title === undefined ? {} : { title: args.title }),
    ...(args.description === undefined ? {} : { description: args.description }),
    ...(args.toBranch === undefined ? {} : { toBranch: args.toBranch }),
  };
  return scope.runtime.run((ctx) => ops.editPullRequest(ctx, repo, pr, actor, changes));
}

export function updateReviewersAction(scope: ActionScope, args: ActionArgs<'updateReviewers'>): ActionResult {
  const { repo, pr } = scope.pullRequest(args);
  const actor = scope.user(args.actor, () => scope.author(pr));
  const resolve = (names: string[] | undefined) => (names ?? []).map((name) => scope.user(name, () => actor));
  const add = args.add || args.remove ? resolve(args.add) : [scope.randomUser([scope.author(pr), ...reviewersOf(scope, pr)])];
  return scope.runtime.run((ctx) => ops.updateReviewers(ctx, repo, pr, actor, add, resolve(args.remove)));
}

function reviewersOf(scope: ActionScope, pr: PullRequest): DcUser[] {
  return pr.participants.filter((p) => p.role === 'REVIEWER').map((p) => scope.runtime.model.userById(p.userId));
}

export function pushToPullRequestAction(scope: ActionScope, args: ActionArgs<'pushToPullRequest'>): ActionResult<{ commits: string[] }> {
  const { pr } = scope.pullRequest(args);
  requireOpen(pr);
  const source = scope.runtime.model.repositoryById(pr.from.repositoryId);
  const actor = scope.user(args.actor, () => scope.author(pr));
  return scope.runtime.run((ctx) => pushCommits(ctx, source, actor, pr.from.branch, Array.from({ length: args.commits ?? 1 }, () => undefined)));
}

/** Without a named reviewer, picks someone for whom the decision makes sense (reviewers first). */
function defaultReviewer(scope: ActionScope, pr: PullRequest, decision: ReviewDecision): DcUser {
  const wanted = { 'approve': 'APPROVED', 'unapprove': 'UNAPPROVED', 'needs-work': 'NEEDS_WORK' }[decision];
  const statusOf = (user: DcUser) => pr.participants.find((p) => p.userId === user.id)?.status ?? 'UNAPPROVED';
  const fits = (user: DcUser) => statusOf(user) !== wanted && (decision !== 'unapprove' || statusOf(user) === 'APPROVED');
  const others = scope.runtime.rng.shuffle(scope.runtime.model.users.slice(1).filter((user) => user.id !== pr.authorId));
  const candidate = [...reviewersOf(scope, pr), ...others].find(fits);
  if (!candidate) throw new SimConflictError(`nobody can ${decision} pull request #${pr.id}`);
  return candidate;
}

export function reviewAction(scope: ActionScope, args: ActionArgs<'approvePullRequest'>, decision: ReviewDecision): ActionResult<{ reviewer: string }> {
  const { repo, pr } = scope.pullRequest(args);
  const reviewer = scope.user(args.reviewer, () => defaultReviewer(scope, pr, decision));
  return { reviewer: reviewer.name, ...scope.runtime.run((ctx) => review(ctx, repo, pr, reviewer, decision)) };
}

export function addCommentAction(scope: ActionScope, args: ActionArgs<'addComment'>): ActionResult<{ commentId: number }> {
  const { repo, pr } = scope.pullRequest(args);
  const author = scope.user(args.author, () => scope.randomUser([scope.author(pr)]));
  const text = args.text ?? scope.runtime.rng.pick(COMMENTS);
  return scope.runtime.run((ctx) => addComment(ctx, repo, pr, author, text, args.parentId));
}

export function editCommentAction(scope: ActionScope, args: ActionArgs<'editComment'>): ActionResult {
  const { repo, pr } = scope.pullRequest(args);
  return scope.runtime.run((ctx) => editComment(ctx, repo, pr, args.commentId, args.text));
}

export function deleteCommentAction(scope: ActionScope, args: ActionArgs<'deleteComment'>): ActionResult {
  const { repo, pr } = scope.pullRequest(args);
  return scope.runtime.run((ctx) => deleteComment(ctx, repo, pr, args.commentId));
}

type Closing = 'mergePullRequest' | 'declinePullRequest' | 'reopenPullRequest' | 'deletePullRequest';

export function closingAction<K extends Closing>(scope: ActionScope, args: ActionArgs<K>, name: K): ActionResult<K extends 'mergePullRequest' ? { mergeCommit: string } : object> {
  const { repo, pr } = scope.pullRequest(args);
  const actor = scope.user(args.actor, () => scope.author(pr));
  const op = { mergePullRequest: ops.mergePullRequest, declinePullRequest: ops.declinePullRequest, reopenPullRequest: ops.reopenPullRequest, deletePullRequest: ops.deletePullRequest }[name];
  return scope.runtime.run((ctx) => op(ctx, repo, pr, actor)) as ActionResult<K extends 'mergePullRequest' ? { mergeCommit: string } : object>;
}
