// Repository lifecycle. A new repository starts with an initial commit on its main branch (Bitbucket's
// "include a README" option), so it has a main branch tip from the first moment.
import { SimConflictError } from '../../sim-common/errors';
import { repositoryScope, truncate } from '../events/build';
import type { ForgeEvent, RepositoryUpdatedEvent } from '../events/types';
import type { Repository, SimUser } from '../model/types';
import { addCommit, branchPushEvent } from './commits';
import type { Emitted, OpContext } from './context';
import { createEnvironments } from './pipelines';

export const slugify = (name: string): string => name.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '');

export interface RepositorySpec {
  name: string;
  description: string;
  language: string;
  projectKey: string;
  mainBranch: string;
  website?: string | null;
}

function requireFreeSlug(ctx: OpContext, slug: string, except?: Repository): void {
  const existing = ctx.model.repository(slug);
  if (!slug || (existing && existing !== except)) throw new SimConflictError(`a repository with slug "${slug}" already exists`);
}

export function createRepository(ctx: OpContext, actor: SimUser, spec: RepositorySpec): Emitted & { repository: Repository } {
  const slug = slugify(spec.name);
  requireFreeSlug(ctx, slug);
  ctx.model.project(spec.projectKey);
  const at = ctx.model.stamp(ctx.at);
  const repo: Repository = {
    uuid: ctx.rng.uuid(), slug, name: spec.name, description: spec.description, language: spec.language,
    projectKey: spec.projectKey, createdOn: at, updatedOn: at, mainBranch: spec.mainBranch, website: spec.website ?? null,
    hasIssues: false, hasWiki: false, commits: new Map(), branches: new Map(), tags: new Map(), pullRequests: new Map(),
    nextPullRequestId: 1, statuses: new Map(), pipelines: [], environments: createEnvironments(ctx), deployments: [],
    files: ['README.md', '.gitignore'],
  };
  ctx.model.repositories.set(repo.uuid, repo);
  const initial = addCommit(ctx, repo, [], {
    author: actor, message: 'Initial commit',
    files: repo.files.map((path) => ({ path, status: 'added', linesAdded: ctx.rng.int(3, 30), linesRemoved: 0 })),
  });
  repo.branches.set(spec.mainBranch, initial.hash);
  const events: ForgeEvent[] = [
    { eventType: 'avi:bitbucket:created:repository', ...repositoryScope(ctx.model, repo, actor, at) },
    branchPushEvent(ctx, repo, actor, { ref: spec.mainBranch, after: initial.hash, commits: [initial] }),
  ];
  return { repository: repo, events };
}

export type RepositoryChanges = Partial<Pick<Repository, 'name' | 'description' | 'language' | 'website'>>;

/** Renaming changes the slug too, as in Bitbucket; the UUID is what stays. */
export function updateRepository(ctx: OpContext, repo: Repository, actor: SimUser, changes: RepositoryChanges): Emitted {
  const diff: RepositoryUpdatedEvent['changes'] = {};
  if (changes.name !== undefined && changes.name !== repo.name) requireFreeSlug(ctx, slugify(changes.name), repo);
  for (const key of ['name', 'description', 'language', 'website'] as const) {
    const next = changes[key];
    if (next === undefined || next === repo[key]) continue;
    diff[key] = { old: truncate(repo[key] ?? ''), new: truncate(next ?? '') };
    Object.assign(repo, { [key]: next });
  }
  if (diff.name) repo.slug = slugify(repo.name);
  const at = ctx.model.stamp(ctx.at);
  repo.updatedOn = at;
  const event: RepositoryUpdatedEvent = { eventType: 'avi:bitbucket:updated:repository', ...repositoryScope(ctx.model, repo, actor, at), changes: diff };
  return { events: [event] };
}

export function deleteRepository(ctx: OpContext, repo: Repository, actor: SimUser): Emitted {
  const event: ForgeEvent = { eventType: 'avi:bitbucket:deleted:repository', ...repositoryScope(ctx.model, repo, actor, ctx.model.stamp(ctx.at)) };
  ctx.model.repositories.delete(repo.uuid);
  return { events: [event] };
}
