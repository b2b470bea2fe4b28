// The simulator's mutations. Each changes the model at the clock's time, emits the Forge events
// Bitbucket would send (to `onEvent` listeners and HTTP subscribers) and returns them with its result.
import type { SimRuntime } from '../runtime';
import * as pr from './pull-requests';
import type { ActionResult } from './pull-requests';
import * as repo from './repository';
import type { ActionArgs } from './schemas';
import { ActionScope } from './scope';

export type { ActionResult } from './pull-requests';
export { actionSchemas, type ActionArgs, type ActionName } from './schemas';

export interface SimActions {
  /** Creates the source branch from the destination (if new), pushes `commits` to it and opens the PR. */
  openPullRequest(args: ActionArgs<'openPullRequest'>): ActionResult<{ pullRequestId: number; sourceBranch: string; commits: string[] }>;
  /** Edits title and/or description. */
  updatePullRequest(args: ActionArgs<'updatePullRequest'>): ActionResult;
  /** Pushes new commits to the PR's source branch (a push event, then a PR update). */
  pushToPullRequest(args: ActionArgs<'pushToPullRequest'>): ActionResult<{ commits: string[] }>;
  approvePullRequest(args: ActionArgs<'approvePullRequest'>): ActionResult<{ reviewer: string }>;
  unapprovePullRequest(args: ActionArgs<'unapprovePullRequest'>): ActionResult<{ reviewer: string }>;
  requestChanges(args: ActionArgs<'requestChanges'>): ActionResult<{ reviewer: string }>;
  removeChangeRequest(args: ActionArgs<'removeChangeRequest'>): ActionResult<{ reviewer: string }>;
  addComment(args: ActionArgs<'addComment'>): ActionResult<{ commentId: number }>;
  /** No event when the comment changed less than ten minutes before (Forge's documented rule). */
  editComment(args: ActionArgs<'editComment'>): ActionResult;
  deleteComment(args: ActionArgs<'deleteComment'>): ActionResult;
  /** A merge commit on the destination (or, `strategy: 'squash'`, one squashed commit; `'fast_forward'`, none); deletes the source branch if the PR says so. */
  mergePullRequest(args: ActionArgs<'mergePullRequest'>): ActionResult<{ mergeCommit: string }>;
  declinePullRequest(args: ActionArgs<'declinePullRequest'>): ActionResult;
  /** Pushes to `branch` (default: the main branch); open PRs from that branch follow. */
  pushCommits(args: ActionArgs<'pushCommits'>): ActionResult<{ commits: string[] }>;
  /** Resets `branch` onto `onto` and pushes there (a forced push); the commits left unreached are dropped, as Bitbucket's gc does. */
  forcePush(args: ActionArgs<'forcePush'>): ActionResult<{ commits: string[]; removed: string[] }>;
  createBranch(args: ActionArgs<'createBranch'>): ActionResult;
  deleteBranch(args: ActionArgs<'deleteBranch'>): ActionResult;
  /** Annotated when `message` is given, else lightweight. */
  createTag(args: ActionArgs<'createTag'>): ActionResult;
  deleteTag(args: ActionArgs<'deleteTag'>): ActionResult;
  /** Creates or updates the status `key` on a commit. */
  setBuildStatus(args: ActionArgs<'setBuildStatus'>): ActionResult<{ key: string; commit: string }>;
  /** A pipeline deploying a commit (default: main tip) to an environment: pending, started, completed. */
  runDeployment(args: ActionArgs<'runDeployment'>): ActionResult<{ pipelineUuid: string; deploymentUuid: string; outcome: 'SUCCESSFUL' | 'FAILED' }>;
  createRepository(args: ActionArgs<'createRepository'>): ActionResult<{ uuid: string; slug: string }>;
  /** Renaming changes the slug; the UUID stays. */
  updateRepository(args: ActionArgs<'updateRepository'>): ActionResult;
  deleteRepository(args: ActionArgs<'deleteRepository'>): ActionResult;
}

export function createActions(runtime: SimRuntime): SimActions {
  const scope = new ActionScope(runtime);
  return {
    openPullRequest: (args) => pr.openPullRequestAction(scope, args),
    updatePullRequest: (args) => pr.updatePullRequestAction(scope, args),
    pushToPullRequest: (args) => pr.pushToPullRequestAction(scope, args),
    approvePullRequest: (args) => pr.reviewAction(scope, args, 'approve'),
    unapprovePullRequest: (args) => pr.reviewAction(scope, args, 'unapprove'),
    requestChanges: (args) => pr.reviewAction(scope, args, 'request-changes'),
    removeChangeRequest: (args) => pr.reviewAction(scope, args, 'remove-change-request'),
    addComment: (args) => pr.addCommentAction(scope, args),
    editComment: (args) => pr.editCommentAction(scope, args),
    deleteComment: (args) => pr.deleteCommentAction(scope, args),
    mergePullRequest: (args) => pr.mergePullRequestAction(scope, args),
    declinePullRequest: (args) => pr.declinePullRequestAction(scope, args),
    pushCommits: (args) => repo.pushCommitsAction(scope, args),
    forcePush: (args) => repo.forcePushAction(scope, args),
    createBranch: (args) => repo.createBranchAction(scope, args),
    deleteBranch: (args) => repo.deleteBranchAction(scope, args),
    createTag: (args) => repo.createTagAction(scope, args),
    deleteTag: (args) => repo.deleteTagAction(scope, args),
    setBuildStatus: (args) => repo.setBuildStatusAction(scope, args),
    runDeployment: (args) => repo.runDeploymentAction(scope, args),
    createRepository: (args) => repo.createRepositoryAction(scope, args),
    updateRepository: (args) => repo.updateRepositoryAction(scope, args),
    deleteRepository: (args) => repo.deleteRepositoryAction(scope, args),
  };
}
