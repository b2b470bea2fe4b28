import type { Change, ChangeOf, ReviewerStatus } from './change';
import { normalizeTime } from './delivery-id';
import { datacenterIntents } from './datacenter-intents';
import type { CloudEventKey, DataCenterEventKey } from './event-keys';
import { intentMaker, pullRequestEntity, type MakeIntent } from './intent-maker';

// One change becomes one delivery, or two for a reviewer who switches between approving and requesting
// changes, or none when a reviewer's cleared status cannot be attributed. Each intent names the native
// event key and the identity its delivery id is made of.

export interface DeliveryIntent {
  id: string;
  eventKey: CloudEventKey | DataCenterEventKey;
  entity: string;
  version: string;
  /** For reviewer intents: whose status this is about. */
  reviewer?: { uuid?: string; accountId?: string; status: ReviewerStatus; at: string };
  /**
   * For reviewer intents: the id under the reviewer's uuid, which named reviewers before their account
   * id did and still names one a source knows only by uuid. What was sent under it is not sent again.
   */
  formerId?: string;
}

export interface SkippedIntent {
  reason: 'reviewer-cleared-prior-unknown' | 'reviewer-unchanged';
  detail: string;
}

/** A reviewer's statuses the app has seen, each with when it was set, oldest first. */
export type ReviewerTimeline = Array<{ status: ReviewerStatus; at: string }>;
export type PriorReviewerStatus = (reviewer: string) => ReviewerTimeline | undefined;

/**
 * How a reviewer is named in delivery ids and kept statuses: by account id, which both the Forge event
 * (whose reviewer may lack its uuid, notes/forge.md §1b) and the activity log carry, so the live path
 * and the reconciliation name one approval alike. Uuids came first before; `former` is that name.
 */
export function reviewerKey(user: { uuid?: string; accountId?: string }): { key: string; former?: string } {
  const key = user.accountId ?? user.uuid ?? 'unknown';
  return { key, ...(user.uuid && user.uuid !== key ? { former: user.uuid } : {}) };
}

export function intentsFor(change: Change, prior: PriorReviewerStatus = () => undefined): { intents: DeliveryIntent[]; skipped: SkippedIntent[] } {
  if (change.edition === 'datacenter') return datacenterIntents(change);
  const make = intentMaker<CloudEventKey>(change);
  const repo = change.repository.uuid;
  switch (change.kind) {
    case 'pullrequest': {
      const entity = pullRequestEntity(change.repository.uuid, change.pullRequestId);
      const version = change.action === 'updated' ? normalizeTime(change.updatedOn ?? change.at) : change.action;
      // Data Center's own actions (deleted, source-updated) never reach here: see the edition switch above.
      return { intents: [make(`pullrequest:${change.action}` as CloudEventKey, entity, version)], skipped: [] };
    }
    case 'comment': {
      const entity = `${pullRequestEntity(change.repository.uuid, change.pullRequestId)}:comment:${change.commentId}`;
      // The comment's own time, not the event's (emitted after it): the activity log gives that too.
      const version = change.action === 'updated' ? normalizeTime(change.updatedOn ?? change.at) : change.action;
      return { intents: [make(`pullrequest:comment_${change.action}`, entity, version)], skipped: [] };
    }
    case 'reviewer':
      return reviewerIntents(change, prior, make);
    case 'push': {
      const entity = `ref:${repo}:${change.ref.type}:${change.ref.name}`;
      return { intents: [make('repo:push', entity, `${change.before ?? 'null'}..${change.after ?? 'null'}`)], skipped: [] };
    }
    case 'repository': {
      const version = change.action === 'updated' ? normalizeTime(change.at) : change.action;
      return { intents: [make(`repo:${change.action}`, `repository:${repo}`, version)], skipped: [] };
    }
    case 'build-status': {
      const entity = `status:${repo}:${change.commit}:${change.key}`;
      const version = `${change.state}@${normalizeTime(change.updatedOn ?? change.at)}`;
      return { intents: [make(`repo:commit_status_${change.action}`, entity, version)], skipped: [] };
    }
    case 'deployment':
      return { intents: [make('pandev:deployment', `deployment:${repo}:${change.deploymentUuid}`, change.action)], skipped: [] };
  }
}

// Approving and requesting changes say what they are; clearing does not, so it is compared with the
// status the reviewer had before (Forge sends one event, "reviewer status updated", for all four).
// Forge does not keep events in order, so each is placed among the statuses seen so far: it ended the
// one before it, and the one after it ended it. A transition found twice gets the same id both times.
function reviewerIntents(change: ChangeOf<'reviewer'>, prior: PriorReviewerStatus, makeIntent: MakeIntent<CloudEventKey>) {
  const intents: DeliveryIntent[] = [];
  const skipped: SkippedIntent[] = [];
  for (const reviewer of change.reviewers) {
    const { key: who, former } = reviewerKey(reviewer.user);
    const entity = `${pullRequestEntity(change.repository.uuid, change.pullRequestId)}:reviewer:${who}`;
    const formerEntity = `${pullRequestEntity(change.repository.uuid, change.pullRequestId)}:reviewer:${former}`;
    const make: MakeIntent<CloudEventKey> = (key, name, version, detail) => ({ ...makeIntent(key, name, version, detail), ...(former ? { formerId: makeIntent(key, formerEntity, version).id } : {}) });
    const at = normalizeTime(reviewer.at);
    const detail = { ...reviewer.user, status: reviewer.status, at };
    const time = Date.parse(reviewer.at);
    // Itself, seen before (a repeat), is neither; another status of the same millisecond came first.
    const timeline = (prior(who) ?? []).filter((seen) => Date.parse(seen.at) !== time || seen.status !== reviewer.status);
    const before = timeline.filter((seen) => Date.parse(seen.at) <= time).at(-1);
    const after = timeline.find((seen) => Date.parse(seen.at) > time);
    if (before?.status === reviewer.status) skipped.push({ reason: 'reviewer-unchanged', detail: `${who} is still ${reviewer.status}` });
    else if (!before && reviewer.status === 'none') {
      skipped.push({ reason: 'reviewer-cleared-prior-unknown', detail: `${who} cleared a status the app never saw, so it cannot tell an unapproval from a removed change request` });
    } else {
      if (before) intents.push(...clearKey(before.status).map((key) => make(key, entity, at, detail)));
      if (reviewer.status !== 'none') intents.push(make(setKey(reviewer.status), entity, at, detail));
    }
    // A later status, seen already, replaced this one when it was set. It is set again too: when it came,
    // what stood before it may have looked the same (approved, then this late unapproval, then approved
    // again) and it was skipped as unchanged. Sent already, it keeps its id.
    if (after && after.status !== reviewer.status) {
      const replacedAt = normalizeTime(after.at);
      const replacement = { ...detail, status: after.status, at: replacedAt };
      intents.push(...clearKey(reviewer.status).map((key) => make(key, entity, replacedAt, replacement)));
      if (after.status !== 'none') intents.push(make(setKey(after.status), entity, replacedAt, replacement));
    }
  }
  return { intents, skipped };
}

function clearKey(status: ReviewerStatus): CloudEventKey[] {
  if (status === 'approved') return ['pullrequest:unapproved'];
  return status === 'changes_requested' ? ['pullrequest:changes_request_removed'] : [];
}

function setKey(status: 'approved' | 'changes_requested'): CloudEventKey {
  return status === 'approved' ? 'pullrequest:approved' : 'pullrequest:changes_request_created';
}
