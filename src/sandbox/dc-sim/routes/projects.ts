// Instance, users, projects and repositories.
import type { DcRepository } from '../model/repository';
import { EXCEPTIONS, fail, ok, page } from '../http/respond';
import type { DcRequest, DcRoute } from '../http/types';
import { project, repository, user } from '../render/entities';
import { param, requireProject, requireRepository } from './resolve';

const PERMISSIONS = ['REPO_READ', 'REPO_WRITE', 'REPO_ADMIN'] as const;

/** Everyone may read and write every repository here; only the administrator administers them. */
function permitted(req: DcRequest, permission: string | null): boolean {
  if (!permission || permission === 'REPO_READ' || permission === 'REPO_WRITE' || permission === 'PROJECT_READ' || permission === 'PROJECT_WRITE') return true;
  return req.caller?.user.id === 1;
}

function searchRepositories(req: DcRequest): DcRepository[] {
  const model = req.runtime.model;
  const name = param(req, 'name')?.toLowerCase();
  const projectKey = param(req, 'projectkey')?.toUpperCase();
  const projectName = param(req, 'projectname')?.toLowerCase();
  const permission = param(req, 'permission');
  if (permission && !PERMISSIONS.includes(permission as (typeof PERMISSIONS)[number])) {
    fail(400, `Invalid permission ${permission}: must be one of ${PERMISSIONS.join(', ')}`, EXCEPTIONS.argument);
  }
  return model.repositories.filter((repo) => {
    const owner = model.project(repo.projectKey);
    return (!name || repo.name.toLowerCase().includes(name))
      && (!projectKey || repo.projectKey.toUpperCase() === projectKey)
      && (!projectName || (owner?.name.toLowerCase().includes(projectName) ?? false))
      && (param(req, 'archived') !== 'ARCHIVED')
      && (!req.caller || model.canRead(req.caller.user.id, repo.projectKey))
      && permitted(req, permission);
  });
}

export const projectRoutes: DcRoute[] = [
  {
    method: 'GET', template: '/application-properties', anonymous: true,
    handler: (req) => ok({ version: req.runtime.version, buildNumber: req.runtime.buildNumber, buildDate: req.runtime.buildDate, displayName: req.runtime.model.identity.displayName }),
  },
  {
    method: 'GET', template: '/users/{userSlug}',
    handler: (req) => {
      const found = req.runtime.model.user(req.params.userSlug ?? '');
      if (!found) return fail(404, `User ${req.params.userSlug} does not exist.`, EXCEPTIONS.user);
      return ok(user(req.runtime.render, found));
    },
  },
  {
    // Personal projects are not listed here (they appear through their owners), as in Data Center.
    method: 'GET', template: '/projects',
    handler: (req) => {
      const name = param(req, 'name')?.toLowerCase();
      const projects = req.runtime.model.projects.filter((p) => p.ownerId === undefined && (!name || p.name.toLowerCase().includes(name)) && permitted(req, param(req, 'permission')));
      return page(req.url, projects, (p) => project(req.runtime.render, p));
    },
  },
  { method: 'GET', template: '/projects/{projectKey}', handler: (req) => ok(project(req.runtime.render, requireProject(req))) },
  {
    method: 'GET', template: '/projects/{projectKey}/repos',
    handler: (req) => {
      const owner = requireProject(req);
      return page(req.url, req.runtime.model.repositories.filter((repo) => repo.projectKey === owner.key), (repo) => repository(req.runtime.render, repo));
    },
  },
  { method: 'GET', template: '/repos', handler: (req) => page(req.url, searchRepositories(req), (repo) => repository(req.runtime.render, repo)) },
  { method: 'GET', template: '/projects/{projectKey}/repos/{repositorySlug}', handler: (req) => ok(repository(req.runtime.render, requireRepository(req))) },
];
