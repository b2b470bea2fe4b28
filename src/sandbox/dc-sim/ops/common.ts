// What the pull request operations share: recording an activity, finding a pull request to change,
// and the commits a pull request brings.
import { SimConflictError, SimNotFoundError } from '../../sim-common/errors';
import { log } from '../model/log';
import { materialize } from '../model/pull-requests';
import type { DcRepository } from '../model/repository';
import type { Activity, DcUser, PullRequest } from '../model/types';
import type { OpContext } from '../runtime';

/** An activity without what `record` fills in (per activity kind, so each keeps its own fields). */
type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type ActivityDraft = Without<Activity, 'id' | 'at' | 'userId'>;

export function record(ctx: OpContext, pr: PullRequest, actor: DcUser, at: number, draft: ActivityDraft): void {
  pr.activities.push({ ...draft, id: ctx.model.activityId(), at, userId: actor.id } as Activity);
  pr.updatedAt = at;
}

export function requirePullRequest(ctx: OpContext, repo: DcRepository, id: number): PullRequest {
  const pr = materialize(ctx.model, repo, id);
  if (!pr) throw new SimNotFoundError(`pull request #${id} not found in ${repo.projectKey}/${repo.slug}`);
  return pr;
}

export function requireOpen(pr: PullRequest): void {
  if (pr.state !== 'OPEN') throw new SimConflictError(`pull request #${pr.id} is ${pr.state}`);
}

/** The commits a pull request brings: on its source, not on its target. Oldest first. */
export function scope(ctx: OpContext, source: DcRepository, fromHash: string, toHash: string): string[] {
  return [...log(ctx.model, source, [fromHash], [toHash])].reverse();
}
