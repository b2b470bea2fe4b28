// Branches and tags.
import { fail, listResponse, objectResponse } from '../http/respond';
import type { Route } from '../http/types';
import { branch, tag } from '../render/commits';
import { requireRepository } from './resolve';

const base = '/repositories/{workspace}/{repo_slug}/refs';

export const refRoutes: Route[] = [
  {
    // Branches and tags in one listing (the spec's `paginated_refs`), by name as the spec's default.
    method: 'GET', template: base,
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      const branches = [...repo.branches].map(([name, hash]) => branch(ctx.runtime.render, repo, name, hash));
      const tags = [...repo.tags.values()].map((value) => tag(ctx.runtime.render, repo, value));
      return listResponse(ctx, [...branches, ...tags], { filterable: true, defaultSort: 'name' });
    },
  },
  {
    method: 'GET', template: `${base}/branches`,
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      const branches = [...repo.branches].map(([name, hash]) => branch(ctx.runtime.render, repo, name, hash));
      return listResponse(ctx, branches, { filterable: true, defaultSort: 'name' });
    },
  },
  {
    method: 'GET', template: `${base}/branches/{name+}`,
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      const name = ctx.params.name ?? '';
      const hash = repo.branches.get(name) ?? fail(404, `Branch "${name}" does not exist.`);
      return objectResponse(ctx, branch(ctx.runtime.render, repo, name, hash));
    },
  },
  {
    method: 'GET', template: `${base}/tags`,
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      return listResponse(ctx, [...repo.tags.values()].map((value) => tag(ctx.runtime.render, repo, value)), { filterable: true, defaultSort: 'name' });
    },
  },
  {
    method: 'GET', template: `${base}/tags/{name+}`,
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      const name = ctx.params.name ?? '';
      const found = repo.tags.get(name) ?? fail(404, `Tag "${name}" does not exist.`);
      return objectResponse(ctx, tag(ctx.runtime.render, repo, found));
    },
  },
];
