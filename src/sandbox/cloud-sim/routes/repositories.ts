// Repository listing and lookup. `role=` filters by the caller's access: the owner administers every
// repository, members may write, and the app reads.
import { fail, listResponse, objectResponse } from '../http/respond';
import type { RequestContext, Route } from '../http/types';
import { repository } from '../render/repositories';
import { requireRepository, requireWorkspace } from './resolve';

const ROLE_RANK: Record<string, number> = { member: 1, contributor: 2, admin: 3, owner: 4 };

function callerRank(ctx: RequestContext): number {
  if (ctx.caller.user.kind === 'app') return ROLE_RANK.member as number;
  return ctx.caller.user.uuid === ctx.runtime.model.owner().uuid ? (ROLE_RANK.owner as number) : (ROLE_RANK.contributor as number);
}

export const repositoryRoutes: Route[] = [
  {
    method: 'GET', template: '/repositories/{workspace}',
    handler: (ctx) => {
      requireWorkspace(ctx);
      const role = ctx.url.searchParams.get('role');
      if (role !== null && ROLE_RANK[role] === undefined) fail(400, `Invalid role '${role}'`);
      const visible = role === null || callerRank(ctx) >= (ROLE_RANK[role] as number);
      const repos = visible ? [...ctx.runtime.model.repositories.values()] : [];
      return listResponse(ctx, repos, { filterable: true, render: (repo) => repository(ctx.runtime.render, repo as typeof repos[number]) });
    },
  },
  {
    method: 'GET', template: '/repositories/{workspace}/{repo_slug}',
    handler: (ctx) => objectResponse(ctx, repository(ctx.runtime.render, requireRepository(ctx))),
  },
];
