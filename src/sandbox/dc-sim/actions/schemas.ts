// Inputs of the simulator's actions. The admin HTTP API validates request bodies with these; the
// programmatic API takes the same shapes. Repositories are named `PROJECT/slug` (or by slug when it is
// unique); people by username. Omitted choices are made with the simulator's seeded random stream.
import { z } from 'zod';

const repository = z.string().min(1);
const user = z.string().min(1);
const pullRequest = { repository, pullRequestId: z.number().int().positive() };
const review = z.object({ ...pullRequest, reviewer: user.optional() });
const count = z.number().int().min(1).max(50);

export const actionSchemas = {
  openPullRequest: z.object({
    repository, author: user.optional(), title: z.string().min(1).optional(), description: z.string().optional(),
    /** A fork of `repository` to open the pull request from (default: the repository itself). */
    fromRepository: repository.optional(),
    fromBranch: z.string().min(1).optional(), toBranch: z.string().min(1).optional(),
    commits: count.optional(), reviewers: z.array(user).optional(), draft: z.boolean().optional(),
  }),
  updatePullRequest: z.object({
    ...pullRequest, actor: user.optional(), title: z.string().min(1).optional(), description: z.string().optional(), toBranch: z.string().min(1).optional(),
  }),
  updateReviewers: z.object({ ...pullRequest, actor: user.optional(), add: z.array(user).optional(), remove: z.array(user).optional() }),
  pushToPullRequest: z.object({ ...pullRequest, actor: user.optional(), commits: count.optional() }),
  approvePullRequest: review,
  unapprovePullRequest: review,
  needsWork: review,
  addComment: z.object({ ...pullRequest, author: user.optional(), text: z.string().min(1).optional(), parentId: z.number().int().optional() }),
  editComment: z.object({ ...pullRequest, commentId: z.number().int(), text: z.string().min(1) }),
  deleteComment: z.object({ ...pullRequest, commentId: z.number().int() }),
  mergePullRequest: z.object({ ...pullRequest, actor: user.optional() }),
  declinePullRequest: z.object({ ...pullRequest, actor: user.optional() }),
  reopenPullRequest: z.object({ ...pullRequest, actor: user.optional() }),
  deletePullRequest: z.object({ ...pullRequest, actor: user.optional() }),
  pushCommits: z.object({
    repository, branch: z.string().min(1).optional(), actor: user.optional(), commits: count.optional(), messages: z.array(z.string().min(1)).optional(),
    /** Files each commit changes (default 1 to 3). */
    files: z.number().int().min(1).max(2000).optional(),
  }),
  /** `onto`: the commit the branch is reset to before `commits` new ones (0: a plain reset); default the default branch's tip. */
  forcePush: z.object({ repository, branch: z.string().min(1), onto: z.string().min(1).optional(), commits: z.number().int().min(0).max(50).optional(), actor: user.optional() }),
  createBranch: z.object({ repository, name: z.string().min(1), from: z.string().min(1).optional(), actor: user.optional() }),
  deleteBranch: z.object({ repository, name: z.string().min(1), actor: user.optional() }),
  createTag: z.object({ repository, name: z.string().min(1), target: z.string().min(1).optional(), message: z.string().optional(), actor: user.optional() }),
  deleteTag: z.object({ repository, name: z.string().min(1), actor: user.optional() }),
  setBuildStatus: z.object({
    repository, commit: z.string().min(1), key: z.string().min(1), state: z.enum(['SUCCESSFUL', 'FAILED', 'INPROGRESS']),
    name: z.string().optional(), url: z.string().optional(), description: z.string().optional(),
  }),
  updateRepository: z.object({ repository, name: z.string().min(1).optional(), description: z.string().optional(), actor: user.optional() }),
};

export type ActionName = keyof typeof actionSchemas;
export type ActionArgs<K extends ActionName> = z.input<(typeof actionSchemas)[K]>;
