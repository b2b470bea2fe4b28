import type { ChangeOf } from '../change/change';
import { intentsFor } from '../change/intents';
import type { Commit, CommitStatus, Repository } from '../enrich/cloud/schema';
import { cloudBody } from '../payload/cloud';
import type { Prebuilt } from './prebuilt';

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
    action: status.created_on === status.updated_on ? 'created' : 'updated',
    commit: commit.hash,
    key: status.key,
    state: status.state,
    ...(status.updated_on ? { updatedOn: status.updated_on } : {}),
  };
  return intentsFor(change).intents.map((intent) => ({ change, intent, body: cloudBody({ family: 'build-status', repository, status: { ...status, commit } }, intent, change) }));
}
