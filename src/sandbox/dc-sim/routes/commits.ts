// Commits, branches, tags and the build-status resource.
import { buildStatuses } from '../model/builds';
import { node, requireCommit as commitOrThrow } from '../model/commits';
import { log, type MergeFilter } from '../model/log';
import { branches, defaultTip, resolveRevision } from '../model/refs';
import { EXCEPTIONS, fail, ok, page, pageEnvelope, pageRequest } from '../http/respond';
import type { DcRequest, DcRoute } from '../http/types';
import { change, commit } from '../render/commits';
import { branch, buildStatus, tag } from '../render/refs';
import { param, requireCommit, requireRepository } from './resolve';

const BASE = '/projects/{projectKey}/repos/{repositorySlug}';

function revision(req: DcRequest, name: 'since' | 'until', fallback: () => string | undefined): string | undefined {
  const value = param(req, name);
  if (!value) return fallback();
  const repo = requireRepository(req);
  const hash = resolveRevision(req.runtime.model, repo, value);
  if (!hash) fail(404, `Commit '${value}' does not exist in repository '${repo.slug}'.`, EXCEPTIONS.commit);
  return hash;
}

function mergeFilter(req: DcRequest): MergeFilter {
  const value = (param(req, 'merges') ?? 'include').toLowerCase();
  if (value !== 'include' && value !== 'exclude' && value !== 'only') fail(400, `Invalid merges ${value}: must be include, exclude or only`, EXCEPTIONS.argument);
  return value as MergeFilter;
}

function refFilter<T extends { name: string }>(req: DcRequest, items: T[]): T[] {
  const text = param(req, 'filterText')?.toLowerCase();
  return text ? items.filter((item) => item.name.toLowerCase().includes(text)) : items;
}

export const commitRoutes: DcRoute[] = [
  {
    method: 'GET', template: `${BASE}/commits`,
    handler: (req) => {
      const repo = requireRepository(req);
      const model = req.runtime.model;
      const until = revision(req, 'until', () => defaultTip(model, repo)) as string;
      const since = revision(req, 'since', () => undefined);
      const merges = mergeFilter(req);
      const { start, limit } = pageRequest(req.url);
      const cursor = repo.logCursors.at(`${until}|${since ?? ''}|${merges}`, start, () => log(model, repo, [until], since ? [since] : [], merges));
      const { items, more } = cursor.take(limit);
      const values = items.map((hash) => commit(req.runtime.render, repo, commitOrThrow(model, repo, hash)));
      return ok(pageEnvelope(values, start, limit, !more));
    },
  },
  {
    method: 'GET', template: `${BASE}/commits/{commitId}`,
    handler: (req) => {
      const repo = requireRepository(req);
      return ok(commit(req.runtime.render, repo, requireCommit(req, repo), { expandParents: true }));
    },
  },
  {
    method: 'GET', template: `${BASE}/commits/{commitId}/changes`,
    handler: (req) => {
      const repo = requireRepository(req);
      const value = requireCommit(req, repo);
      const browse = `${req.runtime.render.base}/projects/${repo.projectKey}/repos/${repo.slug}/commits/${value.id}`;
      const since = param(req, 'since') ?? value.parents[0] ?? null;
      return page(req.url, value.changes, (item) => change(req.runtime.render, browse, item), undefined, { fromHash: since, toHash: value.id, properties: {} });
    },
  },
  {
    method: 'GET', template: `${BASE}/branches`,
    handler: (req) => {
      const repo = requireRepository(req);
      const model = req.runtime.model;
      const all = refFilter(req, branches(model, repo));
      const orderBy = (param(req, 'orderBy') ?? 'MODIFICATION').toUpperCase();
      const at = (hash: string) => node(model, repo, hash)?.at ?? 0;
      const sorted = orderBy === 'ALPHABETICAL'
        ? all.sort((a, b) => a.name.localeCompare(b.name))
        : all.map((ref) => ({ ref, at: at(ref.hash) })).sort((a, b) => b.at - a.at || a.ref.name.localeCompare(b.ref.name)).map(({ ref }) => ref);
      return page(req.url, sorted, (ref) => branch(ref.name, ref.hash, ref.name === repo.defaultBranch));
    },
  },
  {
    method: 'GET', template: `${BASE}/tags`,
    handler: (req) => {
      const repo = requireRepository(req);
      const all = refFilter(req, [...repo.tags.values()]);
      const orderBy = (param(req, 'orderBy') ?? 'MODIFICATION').toUpperCase();
      const sorted = orderBy === 'ALPHABETICAL' ? all.sort((a, b) => a.name.localeCompare(b.name)) : all.reverse();
      return page(req.url, sorted, tag);
    },
  },
];

/** Build counts by state, as `RestBuildStats` names them. */
function buildStats(statuses: Array<{ state: string }>): Record<string, number> {
  const stats = { successful: 0, failed: 0, inProgress: 0, cancelled: 0, unknown: 0 };
  for (const { state } of statuses) {
    if (state === 'SUCCESSFUL') stats.successful++;
    else if (state === 'FAILED') stats.failed++;
    else if (state === 'INPROGRESS') stats.inProgress++;
    else if (state === 'CANCELLED') stats.cancelled++;
    else stats.unknown++;
  }
  return stats;
}

const MOST_RECENT_BUILDS = 100;

/** Under `/rest/build-status/1.0` (and `latest`); the spec has it as `/build-status/latest/commits/{commitId}`. */
export const buildRoutes: DcRoute[] = [
  {
    // getMultipleBuildStatusStats: a JSON array of commit ids in, `{<id>: RestBuildStats}` out; commits
    // without builds are left out, as the spec says. Before `/commits/{commitId}`, which would match it.
    method: 'POST', template: '/commits/stats',
    handler: (req) => {
      if (!Array.isArray(req.body) || !req.body.every((id) => typeof id === 'string')) fail(400, 'The request body must be a JSON array of commit ids', EXCEPTIONS.argument);
      const answer: Record<string, Record<string, number>> = {};
      for (const id of req.body as string[]) {
        const statuses = buildStatuses(req.runtime.model, id.toLowerCase());
        if (statuses.length) answer[id] = buildStats(statuses);
      }
      return ok(answer);
    },
  },
  {
    // getBuildStatus answers "a Page of build statuses associated with the commit (limited to the most
    // recent 100 build statuses associated with the commit)": older ones are not reachable by paging.
    method: 'GET', template: '/commits/{commitId}',
    handler: (req) => page(req.url, buildStatuses(req.runtime.model, (req.params.commitId ?? '').toLowerCase()).slice(0, MOST_RECENT_BUILDS), (value) => buildStatus(req.runtime.render, value)),
  },
];
