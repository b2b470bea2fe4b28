// Pull request comments: list, read, and the writes clients make (the app upserts its own comment).
// Writes go through the same operations as the simulator's actions, so they emit Forge events too.
import { z } from 'zod';
import type { PullRequest, PullRequestComment, Repository } from '../model/types';
import { addComment, deleteComment, editComment, findComment } from '../ops/comments';
import { fail, listResponse, objectResponse } from '../http/respond';
import type { RequestContext, Route } from '../http/types';
import { comment } from '../render/pull-requests';
import { requirePullRequest, requireRepository } from './resolve';

const NewComment = z.object({
  content: z.object({ raw: z.string().min(1) }),
  parent: z.object({ id: z.number().int() }).optional(),
  inline: z.object({ path: z.string(), to: z.number().int().nullable().optional(), from: z.number().int().nullable().optional() }).optional(),
});

const EditedComment = z.object({ content: z.object({ raw: z.string().min(1) }) });

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) return fail(400, 'Bad request', result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  return result.data;
}

function target(ctx: RequestContext): { repo: Repository; pr: PullRequest } {
  const repo = requireRepository(ctx);
  return { repo, pr: requirePullRequest(ctx, repo) };
}

function ownComment(ctx: RequestContext, pr: PullRequest): PullRequestComment {
  const found = findComment(pr, Number(ctx.params.comment_id));
  if (found.userUuid !== ctx.caller.user.uuid) fail(403, 'You can only change your own comments');
  return found;
}

const base = '/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments';

export const commentRoutes: Route[] = [
  {
    method: 'GET', template: base,
    handler: (ctx) => {
      const { repo, pr } = target(ctx);
      return listResponse(ctx, pr.comments.map((value) => comment(ctx.runtime.render, repo, pr, value)), { filterable: true });
    },
  },
  {
    method: 'POST', template: base,
    handler: (ctx) => {
      const { repo, pr } = target(ctx);
      const body = parse(NewComment, ctx.body);
      const { comment: created } = ctx.runtime.run((op) => addComment(op, repo, pr, ctx.caller.user, {
        raw: body.content.raw,
        ...(body.parent ? { parentId: body.parent.id } : {}),
        ...(body.inline ? { inline: { path: body.inline.path, to: body.inline.to ?? null, from: body.inline.from ?? null } } : {}),
      }));
      return objectResponse(ctx, comment(ctx.runtime.render, repo, pr, created), 201);
    },
  },
  {
    method: 'GET', template: `${base}/{comment_id}`,
    handler: (ctx) => {
      const { repo, pr } = target(ctx);
      return objectResponse(ctx, comment(ctx.runtime.render, repo, pr, findComment(pr, Number(ctx.params.comment_id))));
    },
  },
  {
    method: 'PUT', template: `${base}/{comment_id}`,
    handler: (ctx) => {
      const { repo, pr } = target(ctx);
      const edited = ownComment(ctx, pr);
      const body = parse(EditedComment, ctx.body);
      ctx.runtime.run((op) => editComment(op, repo, pr, edited.id, ctx.caller.user, body.content.raw));
      return objectResponse(ctx, comment(ctx.runtime.render, repo, pr, edited));
    },
  },
  {
    method: 'DELETE', template: `${base}/{comment_id}`,
    handler: (ctx) => {
      const { repo, pr } = target(ctx);
      const deleted = ownComment(ctx, pr);
      ctx.runtime.run((op) => deleteComment(op, repo, pr, deleted.id, ctx.caller.user));
      return { status: 204 };
    },
  },
];
