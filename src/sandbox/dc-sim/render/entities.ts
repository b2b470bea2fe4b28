// Users, projects and repositories as Data Center prints them everywhere (REST and webhooks alike).
import type { DcRepository } from '../model/repository';
import type { DcProject, DcUser, Person } from '../model/types';
import { selfLink, type JsonObject, type RenderContext } from './context';

export function user(ctx: RenderContext, value: DcUser): JsonObject {
  return {
    name: value.name, emailAddress: value.email, active: value.active, displayName: value.displayName, id: value.id,
    slug: value.slug, type: 'NORMAL', links: selfLink(`${ctx.base}/users/${value.slug}`),
  };
}

/** A git identity: the whole user when its email belongs to one, else just name and email. */
export function person(ctx: RenderContext, value: Person, full = true): JsonObject {
  const known = full && value.userId !== undefined ? ctx.model.users.find((candidate) => candidate.id === value.userId) : undefined;
  return known ? user(ctx, known) : { name: value.name, emailAddress: value.email };
}

export function project(ctx: RenderContext, value: DcProject): JsonObject {
  if (value.ownerId !== undefined) {
    const owner = ctx.model.userById(value.ownerId);
    return { key: value.key, id: value.id, name: value.name, type: 'PERSONAL', owner: user(ctx, owner), links: selfLink(`${ctx.base}/users/${owner.slug}`) };
  }
  return {
    key: value.key, id: value.id, name: value.name, description: value.description, public: false, type: 'NORMAL',
    links: selfLink(`${ctx.base}/projects/${value.key}`),
  };
}

function projectOf(ctx: RenderContext, repo: DcRepository): DcProject {
  const value = ctx.model.project(repo.projectKey);
  if (!value) throw new Error(`repository ${repo.slug} has no project`);
  return value;
}

export function repository(ctx: RenderContext, repo: DcRepository): JsonObject {
  const owner = projectOf(ctx, repo);
  const path = owner.key.toLowerCase();
  const browse = owner.ownerId === undefined
    ? `${ctx.base}/projects/${owner.key}/repos/${repo.slug}/browse`
    : `${ctx.base}/users/${owner.key.slice(1)}/repos/${repo.slug}/browse`;
  const origin = repo.originId === undefined ? undefined : ctx.model.repositoryById(repo.originId);
  return {
    slug: repo.slug, id: repo.id, name: repo.name, description: repo.description, hierarchyId: repo.hierarchyId, scmId: 'git',
    state: 'AVAILABLE', statusMessage: 'Available', forkable: true,
    ...(origin ? { origin: repository(ctx, origin) } : {}),
    project: project(ctx, owner), public: false, archived: false,
    links: {
      clone: [
        { href: `${ctx.base}/scm/${path}/${repo.slug}.git`, name: 'http' },
        { href: `ssh://git@${ctx.sshHost}/${path}/${repo.slug}.git`, name: 'ssh' },
      ],
      self: [{ href: browse }],
    },
  };
}
