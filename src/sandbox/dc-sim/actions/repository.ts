// Repository actions: pushes, branches, tags, build statuses, and renaming the repository.
import { SimNotFoundError } from '../../sim-common/errors';
import { findCommit } from '../model/commits';
import { createBranch, createTag, deleteBranch, deleteTag, setBuildStatus, updateRepository } from '../ops/refs';
import { forcePush, pushCommits } from '../ops/push';
import type { ActionResult } from './pull-requests';
import type { ActionArgs } from './schemas';
import type { ActionScope } from './scope';

export function pushCommitsAction(scope: ActionScope, args: ActionArgs<'pushCommits'>): ActionResult<{ commits: string[] }> {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, () => scope.randomUser());
  const messages = args.messages ?? Array.from({ length: args.commits ?? 1 }, () => undefined);
  return scope.runtime.run((ctx) => pushCommits(ctx, repo, actor, args.branch ?? repo.defaultBranch, messages, { files: args.files }));
}

export function forcePushAction(scope: ActionScope, args: ActionArgs<'forcePush'>): ActionResult<{ commits: string[]; removed: string[] }> {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, () => scope.randomUser());
  const onto = scope.commit(repo, args.onto);
  const messages = Array.from({ length: args.commits ?? 1 }, () => undefined);
  return scope.runtime.run((ctx) => forcePush(ctx, repo, actor, args.branch, onto, messages));
}

export function createBranchAction(scope: ActionScope, args: ActionArgs<'createBranch'>): ActionResult<{ commit: string }> {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, () => scope.randomUser());
  const target = scope.commit(repo, args.from);
  return { commit: target, ...scope.runtime.run((ctx) => createBranch(ctx, repo, actor, args.name, target)) };
}

export function deleteBranchAction(scope: ActionScope, args: ActionArgs<'deleteBranch'>): ActionResult {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, () => scope.randomUser());
  return scope.runtime.run((ctx) => deleteBranch(ctx, repo, actor, args.name));
}

export function createTagAction(scope: ActionScope, args: ActionArgs<'createTag'>): ActionResult<{ commit: string }> {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, () => scope.randomUser());
  const target = scope.commit(repo, args.target);
  return { commit: target, ...scope.runtime.run((ctx) => createTag(ctx, repo, actor, args.name, target, args.message)) };
}

export function deleteTagAction(scope: ActionScope, args: ActionArgs<'deleteTag'>): ActionResult {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, () => scope.randomUser());
  return scope.runtime.run((ctx) => deleteTag(ctx, repo, actor, args.name));
}

export function setBuildStatusAction(scope: ActionScope, args: ActionArgs<'setBuildStatus'>): ActionResult<{ commit: string }> {
  const repo = scope.repo(args.repository);
  const commit = scope.commit(repo, args.commit);
  if (!findCommit(scope.runtime.model, repo, commit)) throw new SimNotFoundError(`commit ${args.commit} not found in ${repo.slug}`);
  const { key, state, name, url, description } = args;
  return { commit, ...scope.runtime.run((ctx) => setBuildStatus(ctx, commit, { key, state, name, url, description })) };
}

export function updateRepositoryAction(scope: ActionScope, args: ActionArgs<'updateRepository'>): ActionResult<{ slug: string }> {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, () => scope.runtime.model.userById(1));
  const changes = { ...(args.name === undefined ? {} : { name: args.name }), ...(args.description === undefined ? {} : { description: args.description }) };
  const result = scope.runtime.run((ctx) => updateRepository(ctx, repo, actor, changes));
  return { slug: repo.slug, ...result };
}
