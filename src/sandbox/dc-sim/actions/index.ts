// The simulator's mutations. Each changes the model at the clock's time (later REST answers and
// activities agree, updatedDate moves), sends the native webhooks Data Center would send for it, and
// returns them with its result.
import type { DcRuntime } from '../runtime';
import * as pr from './pull-requests';
import type { ActionResult } from './pull-requests';
import * as repo from './repository';
import type { ActionArgs } from './schemas';
import { ActionScope } from './scope';

export type { ActionResult } from './pull-requests';
export { actionSchemas, type ActionArgs, type ActionName } from './schemas';

export interface DcActions {
  /** Pushes `commits` to a new (or named) source branch cut from the target, then opens: `repo:refs_changed`, `pr:opened`. */
  openPullRequest(args: ActionArgs<'openPullRequest'>): ActionResult<{ pullRequestId: number; fromBranch: string; commits: string[] }>;
  /** Title, description and/or target branch: `pr:modified` (no activity, as in Data Center). */
  updatePullRequest(args: ActionArgs<'updatePullRequest'>): ActionResult;
  /** Adds/removes reviewers (a random one added by default): UPDATED activity, `pr:reviewer:updated`. */
  updateReviewers(args: ActionArgs<'updateReviewers'>): ActionResult;
  /** Pushes to the source branch: `repo:refs_changed`, RESCOPED activity, `pr:from_ref_updated`. */
  pushToPullRequest(args: ActionArgs<'pushToPullRequest'>): ActionResult<{ commits: string[] }>;
  /** APPROVED activity, `pr:reviewer:approved`. */
  approvePullRequest(args: ActionArgs<'approvePullRequest'>): ActionResult<{ reviewer: string }>;
  /** UNAPPROVED activity, `pr:reviewer:unapproved`. */
  unapprovePullRequest(args: ActionArgs<'unapprovePullRequest'>): ActionResult<{ reviewer: string }>;
  /** REVIEWED activity (status NEEDS_WORK), `pr:reviewer:needs_work`. */
  needsWork(args: ActionArgs<'needsWork'>): ActionResult<{ reviewer: string }>;
  /** COMMENTED/ADDED activity, `pr:comment:added` (a reply with `parentId` nests under its parent, and its activity is COMMENTED/REPLIED). */
  addComment(args: ActionArgs<'addComment'>): ActionResult<{ commentId: number }>;
  /** COMMENTED/EDITED activity, `pr:comment:edited` (comment version + 1). */
  editComment(args: ActionArgs<'editComment'>): ActionResult;
  /** COMMENTED/DELETED activity, `pr:comment:deleted`. */
  deleteComment(args: ActionArgs<'deleteComment'>): ActionResult;
  /** Merge commit on the target: MERGED activity, `pr:merged`, target and source-deletion `repo:refs_changed`. */
  mergePullRequest(args: ActionArgs<'mergePullRequest'>): ActionResult<{ mergeCommit: string }>;
  /** DECLINED activity, `pr:declined`. */
  declinePullRequest(args: ActionArgs<'declinePullRequest'>): ActionResult;
  /** REOPENED activity; Data Center sends no webhook for it. */
  reopenPullRequest(args: ActionArgs<'reopenPullRequest'>): ActionResult;
  /** `pr:deleted`; the pull request answers 404 afterwards. */
  deletePullRequest(args: ActionArgs<'deletePullRequest'>): ActionResult;
  /** Pushes to `branch` (default: the default branch); open pull requests from it are rescoped. */
  pushCommits(args: ActionArgs<'pushCommits'>): ActionResult<{ commits: string[] }>;
  /** Resets `branch` to `onto` and pushes new commits on it; the commits no ref reaches any more are gone (`removed`). */
  forcePush(args: ActionArgs<'forcePush'>): ActionResult<{ commits: string[]; removed: string[] }>;
  createBranch(args: ActionArgs<'createBranch'>): ActionResult<{ commit: string }>;
  deleteBranch(args: ActionArgs<'deleteBranch'>): ActionResult;
  /** Annotated when `message` is given, else lightweight. */
  createTag(args: ActionArgs<'createTag'>): ActionResult<{ commit: string }>;
  deleteTag(args: ActionArgs<'deleteTag'>): ActionResult;
  /** Creates or updates the build status `key` on a commit (no webhook in Data Center). */
  setBuildStatus(args: ActionArgs<'setBuildStatus'>): ActionResult<{ commit: string }>;
  /** Rename (new slug) and/or description: `repo:modified` with `old` and `new`. */
  updateRepository(args: ActionArgs<'updateRepository'>): ActionResult<{ slug: string }>;
}

export function createActions(runtime: DcRuntime): DcActions {
  const scope = new ActionScope(runtime);
  return {
    openPullRequest: (args) => pr.openPullRequestAction(scope, args),
    updatePullRequest: (args) => pr.updatePullRequestAction(scope, args),
    updateReviewers: (args) => pr.updateReviewersAction(scope, args),
    pushToPullRequest: (args) => pr.pushToPullRequestAction(scope, args),
    approvePullRequest: (args) => pr.reviewAction(scope, args, 'approve'),
    unapprovePullRequest: (args) => pr.reviewAction(scope, args, 'unapprove'),
    needsWork: (args) => pr.reviewAction(scope, args, 'needs-work'),
    addComment: (args) => pr.addCommentAction(scope, args),
    editComment: (args) => pr.editCommentAction(scope, args),
    deleteComment: (args) => pr.deleteCommentAction(scope, args),
    mergePullRequest: (args) => pr.closingAction(scope, args, 'mergePullRequest'),
    declinePullRequest: (args) => pr.closingAction(scope, args, 'declinePullRequest'),
    reopenPullRequest: (args) => pr.closingAction(scope, args, 'reopenPullRequest'),
    deletePullRequest: (args) => pr.closingAction(scope, args, 'deletePullRequest'),
    pushCommits: (args) => repo.pushCommitsAction(scope, args),
    forcePush: (args) => repo.forcePushAction(scope, args),
    createBranch: (args) => repo.createBranchAction(scope, args),
    deleteBranch: (args) => repo.deleteBranchAction(scope, args),
    createTag: (args) => repo.createTagAction(scope, args),
    deleteTag: (args) => repo.deleteTagAction(scope, args),
    setBuildStatus: (args) => repo.setBuildStatusAction(scope, args),
    updateRepository: (args) => repo.updateRepositoryAction(scope, args),
  };
}
