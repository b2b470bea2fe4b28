// Branches and tags. Creating or deleting a ref is a push in Bitbucket, so each emits a push event.
import { SimConflictError } from '../../sim-common/errors';
import { forgeActor, repositoryScope, truncate } from '../events/build';
import type { PushEvent } from '../events/types';
import type { Repository, SimUser } from '../model/types';
import { isoZulu } from '../util/time';
import { branchPushEvent } from './commits';
import type { Emitted, OpContext } from './context';

export function createBranch(ctx: OpContext, repo: Repository, actor: SimUser, name: string, target: string): Emitted {
  if (repo.branches.has(name)) throw new SimConflictError(`branch ${name} already exists`);
  repo.branches.set(name, target);
  return { events: [branchPushEvent(ctx, repo, actor, { ref: name, after: target, commits: [] })] };
}

export function deleteBranch(ctx: OpContext, repo: Repository, actor: SimUser, name: string): Emitted {
  const tip = repo.branches.get(name);
  if (!tip) throw new SimConflictError(`branch ${name} does not exist`);
  if (name === repo.mainBranch) throw new SimConflictError('the main branch cannot be deleted');
  repo.branches.delete(name);
  return { events: [branchPushEvent(ctx, repo, actor, { ref: name, before: tip, commits: [] })] };
}

/** An annotated tag when `message` is given (it then has a tagger and a date), else a lightweight one. */
export function createTag(ctx: OpContext, repo: Repository, actor: SimUser, name: string, target: string, message?: string): Emitted {
  if (repo.tags.has(name)) throw new SimConflictError(`tag ${name} already exists`);
  const at = ctx.model.stamp(ctx.at);
  repo.tags.set(name, {
    name,
    target,
    ...(message === undefined ? {} : { annotation: { message: `${message}\n`, taggerUuid: actor.uuid, date: at } }),
  });
  const event: PushEvent = {
    eventType: 'avi:bitbucket:push:repository',
    ...repositoryScope(ctx.model, repo, actor, at),
    push: {
      ref: name,
      after: target,
      created: true,
      closed: false,
      forced: false,
      ...(message === undefined
        ? {}
        : { date: isoZulu(at), message: truncate(`${message}\n`), author: { user: forgeActor(actor) } }),
    },
  };
  return { events: [event] };
}

export function deleteTag(ctx: OpContext, repo: Repository, actor: SimUser, name: string): Emitted {
  const tag = repo.tags.get(name);
  if (!tag) throw new SimConflictError(`tag ${name} does not exist`);
  repo.tags.delete(name);
  const event: PushEvent = {
    eventType: 'avi:bitbucket:push:repository',
    ...repositoryScope(ctx.model, repo, actor, ctx.model.stamp(ctx.at)),
    push: { ref: name, before: tag.target, created: false, closed: true, forced: false },
  };
  return { events: [event] };
}
