// Commit statuses, pipelines, deployments and environments. The Pipelines endpoints take explicit
// filter parameters instead of `q=` (which Bitbucket ignores there) and list oldest first by default.
import { fail, listResponse, objectResponse } from '../http/respond';
import type { RequestContext, Route } from '../http/types';
import { normalizeUuid } from '../model/state';
import type { Repository } from '../model/types';
import { valuesAt } from '../query/json-path';
import { buildStatus, deployment, deploymentHiddenFields, environment, pipeline } from '../render/ci';
import { requireCommit, requireRepository } from './resolve';

const repoBase = '/repositories/{workspace}/{repo_slug}';

/** `creator.uuid`, `target.ref_name`, `target.branch`, `target.commit.hash`, `status` (result or state name). */
const PIPELINE_FILTERS: Record<string, string[]> = {
  'creator.uuid': ['creator', 'uuid'],
  'target.ref_name': ['target', 'ref_name'],
  'target.branch': ['target', 'ref_name'],
  'target.commit.hash': ['target', 'commit', 'hash'],
  'trigger_type': ['trigger', 'name'],
};

function pipelinesOf(ctx: RequestContext, repo: Repository): unknown[] {
  let items: unknown[] = repo.pipelines.map((value) => pipeline(ctx.runtime.render, repo, value));
  for (const [param, path] of Object.entries(PIPELINE_FILTERS)) {
    const wanted = ctx.url.searchParams.get(param);
    if (wanted !== null) items = items.filter((item) => valuesAt(item, path).includes(wanted));
  }
  const statuses = ctx.url.searchParams.getAll('status');
  if (statuses.length > 0) {
    items = items.filter((item) => [...valuesAt(item, ['state', 'name']), ...valuesAt(item, ['state', 'result', 'name'])].some((name) => statuses.includes(String(name))));
  }
  return items;
}

function byUuid<T extends { uuid: string }>(items: readonly T[], raw: string | undefined, what: string): T {
  const uuid = normalizeUuid(raw ?? '');
  return items.find((item) => item.uuid === uuid) ?? fail(404, `${what} ${raw} not found`);
}

export const ciRoutes: Route[] = [
  {
    method: 'GET', template: `${repoBase}/commit/{commit}/statuses`,
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      const hash = requireCommit(repo, ctx.params.commit ?? '').hash;
      const refname = ctx.url.searchParams.get('refname');
      const statuses = [...(repo.statuses.get(hash)?.values() ?? [])].filter((status) => refname === null || status.refname === refname);
      return listResponse(ctx, statuses.map((status) => buildStatus(ctx.runtime.render, repo, status)), { filterable: true });
    },
  },
  {
    method: 'GET', template: `${repoBase}/commit/{commit}/statuses/build/{key}`,
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      const hash = requireCommit(repo, ctx.params.commit ?? '').hash;
      const status = repo.statuses.get(hash)?.get(ctx.params.key ?? '') ?? fail(404, `Build status ${ctx.params.key} not found`);
      return objectResponse(ctx, buildStatus(ctx.runtime.render, repo, status));
    },
  },
  {
    method: 'GET', template: `${repoBase}/pipelines`,
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      const sort = ctx.url.searchParams.get('sort') ?? 'created_on';
      return listResponse(ctx, pipelinesOf(ctx, repo), { defaultSort: sort });
    },
  },
  {
    method: 'GET', template: `${repoBase}/pipelines/{pipeline_uuid}`,
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      return objectResponse(ctx, pipeline(ctx.runtime.render, repo, byUuid(repo.pipelines, ctx.params.pipeline_uuid, 'Pipeline')));
    },
  },
  {
    method: 'GET', template: `${repoBase}/deployments`,
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      const newestFirst = [...repo.deployments].sort((a, b) => b.updatedOn - a.updatedOn);
      return listResponse(ctx, newestFirst.map((value) => deployment(ctx.runtime.render, repo, value)), { hidden: deploymentHiddenFields('values.') });
    },
  },
  {
    method: 'GET', template: `${repoBase}/deployments/{deployment_uuid}`,
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      return objectResponse(ctx, deployment(ctx.runtime.render, repo, byUuid(repo.deployments, ctx.params.deployment_uuid, 'Deployment')), 200, deploymentHiddenFields(''));
    },
  },
  {
    method: 'GET', template: `${repoBase}/environments`,
    handler: (ctx) => listResponse(ctx, requireRepository(ctx).environments.map(environment)),
  },
  {
    method: 'GET', template: `${repoBase}/environments/{environment_uuid}`,
    handler: (ctx) => objectResponse(ctx, environment(byUuid(requireRepository(ctx).environments, ctx.params.environment_uuid, 'Environment'))),
  },
];
