import type { Change, ChangeOf, ReviewerStatus } from './change';
import { deliveryId, normalizeTime } from './delivery-id';
import { datacenterIntents } from './datacenter-intents';
import type { CloudEventKey, DataCenterEventKey } from './event-keys';

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
}

export interface SkippedIntent {
  reason: 'reviewer-cleared-prior-unknown' | 'reviewer-unchanged';
  detail: string;
}

/** The status last seen for a reviewer, and when it was set. */
export type PriorReviewerStatus = (reviewerUuid: string) => { status: ReviewerStatus; at: string } | undefined;

export function pullRequestEntity(change: { repository: { uuid: string } }, id: number): string {
  return `pullrequest:${change.repository.uuid}:${id}`;
}

export function intentsFor(change: Change, prior: PriorReviewerStatus = () => undefined): { intents: DeliveryIntent[]; skipped: SkippedIntent[] } {
  if (change.edition === 'datacenter') return datacenterIntents(change);
  const make = (eventKey: CloudEventKey, entity: string, version: string, reviewer?: DeliveryIntent['reviewer']): DeliveryIntent => ({
    id: deliveryId({ edition: change.edition, workspace: change.workspace, entity, eventKey, version }),
    eventKey,
    entity,
    version,
    ...(reviewer ? { reviewer } : {}),
  });
  const repo = change.repository.uuid;
  switch (change.kind) {
    case 'pullrequest': {
      const entity = pullRequestEntity(change, change.pullRequestId);
      const version = change.action === 'updated' ? normalizeTime(change.updatedOn ?? change.at) : change.action;
      // Data Center's own actions (deleted, source-updated) never reach here: see the edition switch above.
      return { intents: [make(`pullrequest:${change.action}` as CloudEventKey, entity, version)], skipped: [] };
    }
    case 'comment': {
      const entity = `${pullRequestEntity(change, change.pullRequestId)}:comment:${change.commentId}`;
      const version = change.action === 'updated' ? normalizeTime(change.at) : change.action;
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

type Make = (eventKey: CloudEventKey, entity: string, version: string, reviewer?: DeliveryIntent['reviewer']) => DeliveryIntent;

// Approving and requesting changes say what they are; clearing does not, so it is compared with the
// status stored for that reviewer (Forge sends one event, "reviewer status updated", for all four).
// Forge does not keep events in order: one older than the stored status is read against it instead
// (what it set, and that the later status replaced it), never as the reviewer's current state.
function reviewerIntents(change: ChangeOf<'reviewer'>, prior: PriorReviewerStatus, make: Make) {
  const intents: DeliveryIntent[] = [];
  const skipped: SkippedIntent[] = [];
  for (const reviewer of change.reviewers) {
    const who = reviewer.user.uuid ?? reviewer.user.accountId ?? 'unknown';
    const entity = `${pullRequestEntity(change, change.pullRequestId)}:reviewer:${who}`;
    const at = normalizeTime(reviewer.at);
    const detail = { ...reviewer.user, status: reviewer.status, at };
    const stored = prior(who);
    if (stored && Date.parse(stored.at) > Date.parse(reviewer.at)) {
      intents.push(...lateReviewerIntents(reviewer.status, stored, entity, detail, make));
      continue;
    }
    const before = stored?.status;
    if (before === reviewer.status) {
      skipped.push({ reason: 'reviewer-unchanged', detail: `${who} is still ${reviewer.status}` });
      continue;
    }
    if (before === 'approved') intents.push(make('pullrequest:unapproved', entity, at, detail));
    if (before === 'changes_requested') intents.push(make('pullrequest:changes_request_removed', entity, at, detail));
    if (reviewer.status === 'approved') intents.push(make('pullrequest:approved', entity, at, detail));
    if (reviewer.status === 'changes_requested') intents.push(make('pullrequest:changes_request_created', entity, at, detail));
    if (reviewer.status === 'none' && before === undefined) {
      skipped.push({ reason: 'reviewer-cleared-prior-unknown', detail: `${who} cleared a status the app never saw, so it cannot tell an unapproval from a removed change request` });
    }
  }
  return { intents, skipped };
}

/**
 * An event older than the status stored: it set its own status then, and a later one replaced it at
 * the stored time. Both are sent; one the app sent already has the same id, so PanDev gets it once.
 */
function lateReviewerIntents(status: ReviewerStatus, stored: { status: ReviewerStatus; at: string }, entity: string, detail: NonNullable<DeliveryIntent['reviewer']>, make: Make): DeliveryIntent[] {
  if (status === 'none' || status === stored.status) return status === 'none' ? [] : [make(setKey(status), entity, detail.at, detail)];
  const replacedAt = normalizeTime(stored.at);
  return [make(setKey(status), entity, detail.at, detail), make(status === 'approved' ? 'pullrequest:unapproved' : 'pullrequest:changes_request_removed', entity, replacedAt, { ...detail, status: stored.status, at: replacedAt })];
}

function setKey(status: 'approved' | 'changes_requested'): CloudEventKey {
  return status === 'approved' ? 'pullrequest:approved' : 'pullrequest:changes_request_created';
}
