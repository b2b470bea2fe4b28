// Inputs of the simulator's actions. The admin HTTP API validates request bodies with these; the
// programmatic API takes the same shapes. Repositories are named `PROJECT/slug` (or by slug when it is
// unique); people by username. Omitted choices are made with the simulator's seeded random stream.
import { z } from 'zod';
import { pullRequest, refActionSchemas, repository, review, user } from '../../sim-common/schemas';

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
  ...refActionSchemas,
  setBuildStatus: z.object({
    repository, commit: z.string().min(1), key: z.string().min(1), state: z.enum(['SUCCESSFUL', 'FAILED', 'INPROGRESS']),
    name: z.string().optional(), url: z.string().optional(), description: z.string().optional(),
  }),
  updateRepository: z.object({ repository, name: z.string().min(1).optional(), description: z.string().optional(), actor: user.optional() }),
};

export type ActionName = keyof typeof actionSchemas;
export type ActionArgs<K extends ActionName> = z.input<(typeof actionSchemas)[K]>;
