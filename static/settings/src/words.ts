import type { DropReason } from '../../../src/contract/status';
import type { CloudEventKey } from '../../../src/core/change/event-keys';
import { count as grouped } from './format';

// The pipeline's codes as a workspace admin reads them. The codes stay in the resolvers' answers, the
// logs and the bridge's `status --json`, where they are searched for; only the page says them in words.

/** Typed over every Cloud key, so a key added to the pipeline does not build without its words. */
const EVENTS: Record<CloudEventKey, string> = {
  'pullrequest:created': 'pull request created',
  'pullrequest:updated': 'pull request updated',
  'pullrequest:fulfilled': 'pull request merged',
  'pullrequest:rejected': 'pull request declined',
  'pullrequest:approved': 'pull request approved',
  'pullrequest:unapproved': 'approval removed',
  'pullrequest:changes_request_created': 'changes requested',
  'pullrequest:changes_request_removed': 'change request removed',
  'pullrequest:comment_created': 'comment added',
  'pullrequest:comment_updated': 'comment edited',
  'pullrequest:comment_deleted': 'comment deleted',
  'repo:created': 'repository created',
  'repo:updated': 'repository updated',
  'repo:deleted': 'repository deleted',
  'repo:push': 'push',
  'repo:commit_status_created': 'build status reported',
  'repo:commit_status_updated': 'build status updated',
  'pandev:deployment': 'deployment',
};

const PARTS: Record<string, string> = { pullrequest: 'pull request', pr: 'pull request', repo: 'repository', pandev: '' };

/** An event key in words; one the page has no words for (a newer version's) still reads as words. */
export function eventWords(key: string): string {
  if (Object.hasOwn(EVENTS, key)) return EVENTS[key as CloudEventKey];
  return key
    .split(/[:_]/)
    .map((part) => (Object.hasOwn(PARTS, part) ? PARTS[part] : part))
    .filter(Boolean)
    .join(' ');
}

/** Each reason after its count: "17 for repositories not selected". */
const DROPPED: Record<DropReason, string> = {
  'self-generated': 'made by this app itself',
  'not-activated': 'from before the connection was activated',
  'paused-too-long': 'left to the reconciliation while deliveries stayed paused over a week',
  'repository-not-selected': 'for repositories not selected',
  'invalid-event': 'Bitbucket sent in a form the app could not read',
  'reviewer-unchanged': 'repeating a review status already sent',
  'reviewer-cleared-prior-unknown': 'clearing a review status the app never saw',
  'covered-by-reconciliation': 'pushes the reconciliation had sent already',
  'own-comment': "about the app's own pull request comment",
  'source-gone': 'deleted in Bitbucket before they could be sent',
  'malformed-in-bitbucket': 'items (pull requests, review activity, branches, commits, build statuses, deployments) Bitbucket answered in a form the app could not read',
  'beyond-read-limit': 'deployments beyond the 1,000 one reconciliation check reads (the newer ones were sent)',
};

/** How many were left out for `reason`; counts kept by an older version may name a reason no longer made. */
export function droppedWords(reason: string, count: number): string {
  const n = grouped(count);
  if (Object.hasOwn(DROPPED, reason)) return `${n} ${DROPPED[reason as DropReason]}`;
  return `${n} for another reason (${reason.replaceAll('-', ' ')})`;
}
