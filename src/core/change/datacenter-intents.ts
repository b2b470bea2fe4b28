import type { Change, ChangeOf } from './change';
import type { DataCenterEventKey } from './event-keys';
import { intentMaker, pullRequestEntity, type MakeIntent } from './intent-maker';
import type { DeliveryIntent, SkippedIntent } from './intents';

// Data Center changes become its native events. The bridge finds each event twice when webhooks are on
// (the webhook, then the poll's activity feed), so every version below is something both can see the
// same way:
// - opened, merged, deleted, comment added and deleted happen once per pull request or comment: the
//   version is the action;
// - the source branch moving is versioned by its commits (previousFromHash..fromHash), which the
//   webhook and the RESCOPED activity both carry;
// - what can recur (declined after a reopen, modified, comment edited, reviewer status) is versioned by
//   its time to the second: the webhook's time field (the pull request's closedDate or updatedDate,
//   the comment's updatedDate, the event date) and the activity's createdDate name the same instant,
//   and 10.x prints times to the second only. A second one of these on the same entity within one second
//   (approved, unapproved, approved again) adds its count in that second (change.occurrence, see
//   same-second.ts), which the poll counts in the activities and the webhook path in the webhooks it handled.
// Reviewer statuses are explicit on Data Center (approved, unapproved, needs work), so unlike Cloud
// no prior status is needed.

export function datacenterIntents(change: Change): { intents: DeliveryIntent[]; skipped: SkippedIntent[] } {
  const make = intentMaker<DataCenterEventKey>(change);
  const repo = change.repository.uuid;
  const one = (intent: DeliveryIntent) => ({ intents: [intent], skipped: [] });
  switch (change.kind) {
    case 'pullrequest':
      return one(pullRequestIntent(change, make));
    case 'comment': {
      const entity = `${pullRequestEntity(repo, change.pullRequestId)}:comment:${change.commentId}`;
      if (change.action === 'created') return one(make('pr:comment:added', entity, 'added'));
      if (change.action === 'deleted') return one(make('pr:comment:deleted', entity, 'deleted'));
      return one(make('pr:comment:edited', entity, bySecond(change, change.at)));
    }
    case 'reviewer':
      return {
        intents: change.reviewers.map((reviewer) => {
          const who = reviewer.user.id ?? reviewer.user.name ?? 'unknown';
          const entity = `${pullRequestEntity(repo, change.pullRequestId)}:reviewer:${who}`;
          const key = reviewer.status === 'approved' ? 'pr:reviewer:approved' : reviewer.status === 'changes_requested' ? 'pr:reviewer:needs_work' : 'pr:reviewer:unapproved';
          return make(key, entity, bySecond(change, reviewer.at), { status: reviewer.status, at: reviewer.at });
        }),
        skipped: [],
      };
    case 'push':
      return one(make('repo:refs_changed', `ref:${repo}:${change.ref.type}:${change.ref.name}`, `${change.before ?? 'null'}..${change.after ?? 'null'}`));
    case 'build-status':
      return one(make('pandev:build_status', `status:${repo}:${change.commit}:${change.key}`, `${change.state}@${toSecond(change.updatedOn ?? change.at)}`));
    case 'repository':
    case 'deployment':
      // Neither is polled on Data Center (it has no deployments feed; repo:modified is not forwarded).
      return { intents: [], skipped: [] };
  }
}

function pullRequestIntent(change: ChangeOf<'pullrequest'>, make: MakeIntent<DataCenterEventKey>): DeliveryIntent {
  const entity = pullRequestEntity(change.repository.uuid, change.pullRequestId);
  switch (change.action) {
    case 'created':
      return make('pr:opened', entity, 'opened');
    case 'updated':
      return make('pr:modified', entity, bySecond(change, change.updatedOn ?? change.at));
    case 'source-updated':
      return make('pr:from_ref_updated', entity, `${change.previousFromHash ?? 'null'}..${change.fromHash ?? 'null'}`);
    case 'fulfilled':
      return make('pr:merged', entity, 'merged');
    case 'rejected':
      return make('pr:declined', entity, bySecond(change, change.at));
    case 'deleted':
      return make('pr:deleted', entity, 'deleted');
  }
}

/** The second `at` falls in, and the change's count in it after the first (whose id stays what it always was). */
function bySecond(change: Change, at: string): string {
  return change.occurrence ? `${toSecond(at)}#${change.occurrence}` : toSecond(at);
}

/**
 * What a change versioned by its second is counted by within that second: its event key and entity
 * (`slot`), and the second. Undefined for the changes that happen once or are versioned otherwise.
 */
export function sameSecondSlot(change: Change): { slot: string; second: string } | undefined {
  const at = versionedAt(change);
  const intent = at === undefined ? undefined : datacenterIntents(change).intents[0];
  return intent && at !== undefined ? { slot: `${intent.eventKey} ${intent.entity}`, second: toSecond(at) } : undefined;
}

/** Whether a slot (sameSecondSlot's) counts a pull request's modifications, which no activity shows. */
export function isModificationSlot(slot: string): boolean {
  return slot.startsWith('pr:modified ');
}

function versionedAt(change: Change): string | undefined {
  if (change.edition !== 'datacenter') return undefined;
  if (change.kind === 'reviewer') return change.reviewers[0]?.at;
  if (change.kind === 'comment') return change.action === 'updated' ? change.at : undefined;
  if (change.kind !== 'pullrequest') return undefined;
  return change.action === 'rejected' ? change.at : change.action === 'updated' ? (change.updatedOn ?? change.at) : undefined;
}

/** `2026-11-20T10:00:00Z` from any form a source reports (epoch ms, ISO with or without millis, +0000). */
export function toSecond(value: string | number): string {
  const ms = typeof value === 'number' ? value : Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? String(value) : `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
