// Commit build statuses (what CI servers and Bitbucket Pipelines report on a commit).
import { SimNotFoundError } from '../../sim-common/errors';
import { repositoryScope } from '../events/build';
import type { BuildStatusEvent } from '../events/types';
import type { BuildState, BuildStatus, Repository, SimUser } from '../model/types';
import { isoZulu, type Micros } from '../util/time';
import type { Emitted, OpContext } from './context';

export interface BuildStatusSpec {
  commitHash: string;
  key: string;
  state: BuildState;
  name?: string;
  url?: string;
  description?: string;
  refname?: string | null;
  /** A new status reported before the operation runs (a live run's start, before its end): not stamped. */
  reportedOn?: Micros;
}

const CREATED_GAP: Micros = 12;

const DESCRIPTIONS: Record<BuildState, string> = {
  SUCCESSFUL: 'Build passed',
  FAILED: 'There was a failure building this commit.',
  INPROGRESS: 'Build in progress',
  STOPPED: 'Build stopped',
};

/** Creates the status for (commit, key), or updates it if the key was reported before. */
export function setBuildStatus(
  ctx: OpContext, repo: Repository, actor: SimUser, spec: BuildStatusSpec,
): Emitted & { status: BuildStatus } {
  if (!repo.commits.has(spec.commitHash)) throw new SimNotFoundError(`commit ${spec.commitHash} not found in ${repo.slug}`);
  const at = ctx.model.stamp(ctx.at);
  const byKey = repo.statuses.get(spec.commitHash) ?? new Map<string, BuildStatus>();
  repo.statuses.set(spec.commitHash, byKey);
  const previous = byKey.get(spec.key);
  const status: BuildStatus = {
    key: spec.key,
    name: spec.name ?? previous?.name ?? spec.key,
    state: spec.state,
    description: spec.description ?? DESCRIPTIONS[spec.state],
    url: spec.url ?? previous?.url ?? `https://ci.example.com/builds/${spec.key}`,
    refname: spec.refname === undefined ? previous?.refname ?? null : spec.refname,
    commitHash: spec.commitHash,
    createdOn: previous?.createdOn ?? spec.reportedOn ?? at,
    // Bitbucket stamps a new status's two times apart, by microseconds (its own webhook captures:
    // …56.572438 and …56.572450): never updated, yet created_on and updated_on differ.
    updatedOn: previous ? at : spec.reportedOn !== undefined ? spec.reportedOn + CREATED_GAP : ctx.model.stamp(at + CREATED_GAP),
  };
  byKey.set(spec.key, status);
  const event: BuildStatusEvent = {
    eventType: previous ? 'avi:bitbucket:updated:build-status' : 'avi:bitbucket:created:build-status',
    ...repositoryScope(ctx.model, repo, actor, at),
    buildStatus: {
      key: status.key, commit: { hash: status.commitHash }, state: status.state, url: status.url,
      createdOn: isoZulu(status.createdOn), updatedOn: isoZulu(status.updatedOn),
      ...(status.refname ? { refName: status.refname } : {}),
    },
  };
  return { status, events: [event] };
}
