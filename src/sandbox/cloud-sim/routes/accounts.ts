// The caller, users, the workspace, its members' permissions and its projects. The admin credential
// belongs to the workspace owner; the member and the app see the workspace as plain members.
import type { SimModel } from '../model/state';
import type { SimUser } from '../model/types';
import { fail, listResponse, objectResponse } from '../http/respond';
import type { RequestContext, Route } from '../http/types';
import { account, accountDetail } from '../render/accounts';
import { link, type JsonObject } from '../render/context';
import { project, workspace, workspaceRef } from '../render/repositories';
import { requireWorkspace } from './resolve';

const permissionOf = (model: SimModel, user: SimUser): 'owner' | 'member' => (user.uuid === model.owner().uuid ? 'owner' : 'member');

function membership(ctx: RequestContext, user: SimUser): JsonObject {
  const { api } = ctx.runtime.render;
  const slug = ctx.runtime.model.workspace.slug;
  return {
    type: 'workspace_membership',
    permission: permissionOf(ctx.runtime.model, user),
    user: account(ctx.runtime.render, user),
    workspace: workspaceRef(ctx.runtime.render),
    links: { self: link(`${api}/workspaces/${slug}/members/${encodeURIComponent(user.uuid)}`) },
  };
}

export const accountRoutes: Route[] = [
  { method: 'GET', template: '/user', handler: (ctx) => objectResponse(ctx, accountDetail(ctx.runtime.render, ctx.caller.user)) },
  {
    method: 'GET', template: '/user/workspaces',
    handler: (ctx) => {
      const { model, render } = ctx.runtime;
      const administrator = permissionOf(model, ctx.caller.user) === 'owner';
      const wanted = ctx.url.searchParams.get('administrator');
      const ref = workspaceRef(render);
      const access = {
        type: 'workspace_access', administrator,
        workspace: { type: 'workspace_base', uuid: ref.uuid, slug: ref.slug, links: { avatar: (ref.links as JsonObject).avatar, self: (ref.links as JsonObject).self } },
      };
      return listResponse(ctx, wanted === null || String(administrator) === wanted ? [access] : []);
    },
  },
  {
    method: 'GET', template: '/user/workspaces/{workspace}/permission',
    handler: (ctx) => {
      requireWorkspace(ctx);
      return objectResponse(ctx, membership(ctx, ctx.caller.user));
    },
  },
  {
    method: 'GET', template: '/users/{selected_user}',
    handler: (ctx) => {
      const user = ctx.runtime.model.user(ctx.params.selected_user ?? '');
      if (!user) return fail(404, `User ${ctx.params.selected_user} not found`);
      return objectResponse(ctx, accountDetail(ctx.runtime.render, user));
    },
  },
  {
    method: 'GET', template: '/workspaces/{workspace}',
    handler: (ctx) => {
      requireWorkspace(ctx);
      return objectResponse(ctx, workspace(ctx.runtime.render));
    },
  },
  {
    method: 'GET', template: '/workspaces/{workspace}/permissions',
    handler: (ctx) => {
      requireWorkspace(ctx);
      return listResponse(ctx, ctx.runtime.model.users.map((user) => membership(ctx, user)), { filterable: true });
    },
  },
  {
    method: 'GET', template: '/workspaces/{workspace}/projects',
    handler: (ctx) => {
      requireWorkspace(ctx);
      return listResponse(ctx, ctx.runtime.model.projects.map((value) => project(ctx.runtime.render, value)), { filterable: true });
    },
  },
];
