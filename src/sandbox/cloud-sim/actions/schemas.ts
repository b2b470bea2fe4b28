// Inputs of the simulator's actions. The admin HTTP API validates request bodies with these; the
// programmatic API takes the same shapes. Repositories are named by slug or UUID; people by UUID,
// account id or nickname. Omitted choices are made with the simulator's seeded random stream.
import { z } from 'zod';
import { pullRequest, refActionSchemas, repository, review, user } from '../../sim-common/schemas';


export const actionSchemas = {
  openPullRequest: z.object({
    repository, author: user.optional(), title: z.string().min(1).optional(), description: z.string().optional(),
    sourceBranch: z.string().min(1).optional(), destinationBranch: z.string().min(1).optional(),
    commits: z.number().int().min(1).max(50).optional(), reviewers: z.array(user).optional(),
    draft: z.boolean().optional(), closeSourceBranch: z.boolean().optional(),
  }),
  updatePullRequest: z.object({ ...pullRequest, actor: user.optional(), title: z.string().min(1).optional(), description: z.string().optional() }),
  pushToPullRequest: z.object({ ...pullRequest, actor: user.optional(), commits: z.number().int().min(1).max(50).optional() }),
  approvePullRequest: review,
  unapprovePullRequest: review,
  requestChanges: review,
  removeChangeRequest: review,
  addComment: z.object({ ...pullRequest, author: user.optional(), content: z.string().min(1).optional(), parentId: z.number().int().optional() }),
  editComment: z.object({ ...pullRequest, commentId: z.number().int(), content: z.string().min(1) }),
  // A repository admin may delete anyone's comment: `actor` names who did (default: its author).
  deleteComment: z.object({ ...pullRequest, commentId: z.number().int(), actor: user.optional() }),
  mergePullRequest: z.object({ ...pullRequest, actor: user.optional(), closeSourceBranch: z.boolean().optional(), strategy: z.enum(['merge_commit', 'squash', 'fast_forward']).optional() }),
  declinePullRequest: z.object({ ...pullRequest, actor: user.optional(), reason: z.string().optional() }),
  pushCommits: z.object({
    repository, branch: z.string().min(1).optional(), actor: user.optional(),
    commits: z.number().int().min(1).max(50).optional(), messages: z.array(z.string().min(1)).optional(),
    /** When the commits were made, before the push (one second apart from it on): local work pushed later. */
    authoredAt: z.iso.datetime({ offset: true }).optional(),
  }),
  ...refActionSchemas,
  setBuildStatus: z.object({
    repository, commit: z.string().min(1), key: z.string().min(1), state: z.enum(['SUCCESSFUL', 'FAILED', 'INPROGRESS', 'STOPPED']),
    name: z.string().optional(), url: z.string().optional(), description: z.string().optional(), refname: z.string().optional(), actor: user.optional(),
  }),
  runDeployment: z.object({
    repository, environment: z.enum(['Test', 'Staging', 'Production']), commit: z.string().min(1).optional(),
    outcome: z.enum(['SUCCESSFUL', 'FAILED']).optional(), actor: user.optional(),
  }),
  createRepository: z.object({
    name: z.string().min(1), description: z.string().optional(), language: z.string().optional(), project: z.string().optional(),
    mainBranch: z.string().min(1).optional(), actor: user.optional(),
  }),
  updateRepository: z.object({
    repository, name: z.string().min(1).optional(), description: z.string().optional(), language: z.string().optional(),
    website: z.string().nullable().optional(), actor: user.optional(),
  }),
  deleteRepository: z.object({ repository, actor: user.optional() }),
};

export type ActionName = keyof typeof actionSchemas;
export type ActionArgs<K extends ActionName> = z.input<(typeof actionSchemas)[K]>;
