// Action inputs that are the same in both simulators (shared so they cannot drift apart): the names of
// a repository, a person and a pull request (each simulator's schemas file says what forms they take),
// and the branch, tag and forced-push actions.
import { z } from 'zod';

export const repository = z.string().min(1);
export const user = z.string().min(1);
export const pullRequest = { repository, pullRequestId: z.number().int().positive() };
export const review = z.object({ ...pullRequest, reviewer: user.optional() });

export const refActionSchemas = {
  /** `onto` (default: the main or default branch's tip) is where the branch is reset before `commits` new ones (0: a plain reset). */
  forcePush: z.object({ repository, branch: z.string().min(1), onto: z.string().min(1).optional(), commits: z.number().int().min(0).max(50).optional(), actor: user.optional() }),
  createBranch: z.object({ repository, name: z.string().min(1), from: z.string().min(1).optional(), actor: user.optional() }),
  deleteBranch: z.object({ repository, name: z.string().min(1), actor: user.optional() }),
  createTag: z.object({ repository, name: z.string().min(1), target: z.string().min(1).optional(), message: z.string().optional(), actor: user.optional() }),
  deleteTag: z.object({ repository, name: z.string().min(1), actor: user.optional() }),
};
