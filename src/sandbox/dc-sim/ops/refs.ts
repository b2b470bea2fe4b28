// Branches and tags made or removed by hand, each a `repo:refs_changed`; the repository itself
// (a rename is `repo:modified`); and build statuses, which Data Center sends no webhook for.
import { SimConflictError, SimNotFoundError } from '../../sim-common/errors';
import { refsChanged, repositoryModified, ZERO } from '../events/build';
import { branchTip } from '../model/refs';
import type { DcRepository } from '../model/repository';
import type { BuildState, DcUser } from '../model/types';
import { repository } from '../render/entities';
import type { Emitted, OpContext } from '../runtime';
import { slugify } from '../seed/pull-request-identity';

export function createBranch(ctx: OpContext, repo: DcRepository, actor: DcUser, name: string, target: string): Emitted {
  if (branchTip(ctx.model, repo, name)) throw new SimConflictError(`branch ${name} already exists in ${repo.slug}`);
  const at = ctx.model.stamp(ctx.at);
  repo.branches.set(name, target);
  repo.deletedBranches.delete(name);
  return { events: [refsChanged(ctx, repo, actor, at, { name, kind: 'BRANCH', fromHash: ZERO, toHash: target, commits: [] })] };
}

export function deleteBranch(ctx: OpContext, repo: DcRepository, actor: DcUser, name: string): Emitted {
  const tip = branchTip(ctx.model, repo, name);
  if (!tip) throw new SimNotFoundError(`branch ${name} not found in ${repo.slug}`);
  if (name === repo.defaultBranch) throw new SimConflictError('the default branch cannot be deleted');
  const at = ctx.model.stamp(ctx.at);
  repo.branches.delete(name);
  repo.deletedBranches.add(name);
  return { events: [refsChanged(ctx, repo, actor, at, { name, kind: 'BRANCH', fromHash: tip, toHash: ZERO })] };
}

/** Annotated when a message is given: `toHash` is then the tag object, and `toCommit` the commit. */
export function createTag(ctx: OpContext, repo: DcRepository, actor: DcUser, name: string, target: string, message?: string): Emitted {
  if (repo.tags.has(name)) throw new SimConflictError(`tag ${name} already exists in ${repo.slug}`);
  const at = ctx.model.stamp(ctx.at);
  const objectId = message === undefined ? null : ctx.rng.hex(40);
  repo.tags.set(name, { name, target, objectId });
  return { events: [refsChanged(ctx, repo, actor, at, { name, kind: 'TAG', fromHash: ZERO, toHash: objectId ?? target, target, commits: [] })] };
}

export function deleteTag(ctx: OpContext, repo: DcRepository, actor: DcUser, name: string): Emitted {
  const tag = repo.tags.get(name);
  if (!tag) throw new SimNotFoundError(`tag ${name} not found in ${repo.slug}`);
  const at = ctx.model.stamp(ctx.at);
  repo.tags.delete(name);
  return { events: [refsChanged(ctx, repo, actor, at, { name, kind: 'TAG', fromHash: tag.objectId ?? tag.target, toHash: ZERO })] };
}

/** A rename changes the slug (old URLs then answer 404); the id stays. */
export function updateRepository(ctx: OpContext, repo: DcRepository, actor: DcUser, changes: { name?: string; description?: string }): Emitted {
  const before = repository(ctx.render, repo);
  if (changes.name !== undefined) {
    const slug = slugify(changes.name);
    if (ctx.model.repositories.some((other) => other !== repo && other.projectKey === repo.projectKey && other.slug === slug)) {
      throw new SimConflictError(`${repo.projectKey}/${slug} already exists`);
    }
    repo.name = changes.name;
    repo.slug = slug;
  }
  if (changes.description !== undefined) repo.description = changes.description;
  const at = ctx.model.stamp(ctx.at);
  return { events: [repositoryModified(ctx, before, repo, actor, at)] };
}

export interface StatusSpec {
  key: string;
  state: BuildState;
  name?: string;
  url?: string;
  description?: string;
}

export function setBuildStatus(ctx: OpContext, commit: string, spec: StatusSpec): Emitted {
  const at = ctx.model.stamp(ctx.at);
  const byKey = ctx.model.statuses.get(commit) ?? new Map();
  const existing = byKey.get(spec.key);
  byKey.set(spec.key, {
    key: spec.key, state: spec.state, name: spec.name ?? existing?.name ?? spec.key, url: spec.url ?? existing?.url ?? `https://ci.example.com/build/${spec.key}`,
    description: spec.description ?? existing?.description ?? '', createdAt: existing?.createdAt ?? at, updatedAt: at,
  });
  ctx.model.statuses.set(commit, byKey);
  return { events: [] };
}
