import type { ChangeOf } from '../change/change';
import { intentsFor } from '../change/intents';
import type { Commit, CommitStatus, Repository } from '../enrich/cloud/schema';
import { cloudBody } from '../payload/cloud';
import type { Prebuilt } from './prebuilt';

/**
 * Bitbucket stamps a new status's created_on and updated_on microseconds apart (its webhook captures:
 * …56.572438 and …56.572450); an update comes from a second report, a build's end, much later.
 */
const CREATED_WITHIN_MS = 100;

/**
 * A commit status as read from Bitbucket, as the event its latest change sent: "created" while it was
 * never updated, else "updated"; versioned by state and time like the live event, so the two match.
 */
export function buildStatusEvents(workspace: string, repository: Repository, commit: Commit, status: CommitStatus, origin: 'backfill' | 'reconcile'): Prebuilt[] {
  const change: ChangeOf<'build-status'> = {
    edition: 'cloud',
    workspace,
    repository: { uuid: repository.uuid, slug: repository.name },
    origin,
    at: status.updated_on ?? status.created_on ?? '',
    kind: 'build-status',
    action: neverUpdated(status) ? 'created' : 'updated',
    commit: commit.hash,
    key: status.key,
    state: status.state,
    ...(status.updated_on ? { updatedOn: status.updated_on } : {}),
  };
  return intentsFor(change).intents.map((intent) => ({ change, intent, body: cloudBody({ family: 'build-status', repository, status: { ...status, commit } }, intent, change) }));
}

function neverUpdated(status: CommitStatus): boolean {
  if (status.created_on === status.updated_on) return true;
  const gap = Date.parse(status.updated_on ?? '') - Date.parse(status.created_on ?? '');
  return Number.isFinite(gap) && Math.abs(gap) < CREATED_WITHIN_MS;
}
