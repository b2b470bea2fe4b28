import { z } from 'zod';
import type { Change, ReviewerStatus } from '../../core/change/change';
import { intentsFor } from '../../core/change/intents';
import { actorRef, isoTime, repositoryRef, type DcSource } from '../../core/enrich/datacenter/pull-request-events';
import { refMoveEvents } from '../../core/enrich/datacenter/ref-events';
import { Comment, DcDate, Participant, PullRequest, Repository, User } from '../../core/enrich/datacenter/schema';
import type { Prebuilt } from '../../core/history/prebuilt';
import { NULL_HASH, pandevBase } from '../../core/payload/datacenter';
import type { MoveCommits } from '../poll/commits';

// A Data Center webhook becomes the same changes (so the same delivery ids) the poll finds for that
// event later; the body is the one Bitbucket sent, with `pandev` added. A push lists several ref
// changes in one body: each becomes its own delivery, as the poll sees one ref at a time.

const PullRequestEvent = z.looseObject({ eventKey: z.string(), date: DcDate, actor: User, pullRequest: PullRequest.extend({ toRef: PullRequest.shape.toRef.extend({ repository: Repository }) }) });
const ReviewerEvent = PullRequestEvent.extend({ participant: Participant });
const CommentEvent = PullRequestEvent.extend({ comment: Comment });
// A hash the bridge asks Bitbucket about: anything but one (say 300 000 characters) got a 4xx there that
// passed for Bitbucket being unwell, and the webhook was retried for a day, holding up every webhook of
// its repository behind it. SHA-1 (40 hex digits) or SHA-256 (64), as Git names commits.
const Hash = z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/i, 'not a commit hash (40 or 64 hex digits)');
const SourceEvent = PullRequestEvent.extend({ previousFromHash: Hash });
const RefChange = z.looseObject({
  ref: z.looseObject({ id: z.string(), displayId: z.string(), type: z.enum(['BRANCH', 'TAG']) }),
  fromHash: Hash,
  toHash: Hash,
  type: z.enum(['ADD', 'UPDATE', 'DELETE']),
});
export const PushEvent = z.looseObject({ eventKey: z.literal('repo:refs_changed'), date: DcDate, actor: User, repository: Repository, changes: z.array(RefChange) });
export type PushEvent = z.infer<typeof PushEvent>;

const reviewerKeys: Record<string, ReviewerStatus> = {
  'pr:reviewer:approved': 'approved',
  'pr:reviewer:unapproved': 'none',
  'pr:reviewer:needs_work': 'changes_requested',
  // Newer instances name needs-work this way (notes §5.5); it is the same event.
  'pr:reviewer:changes_requested': 'changes_requested',
};

export type Parsed =
  | {
      kind: 'pull-request';
      eventKey: string;
      repository: Repository;
      pullRequest: PullRequest;
      /** The change the poll would find for it, before its count in its second (webhooks/same-second.ts). */
      change(instance: string): Change & { pullRequestId: number };
      /** Its deliveries: the body Bitbucket sent, with `pandev` added. */
      build(change: Change): Prebuilt[];
    }
  | { kind: 'push'; repository: Repository; event: PushEvent }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string };

export function parseWebhook(eventKey: string, payload: unknown): Parsed {
  if (eventKey === 'diagnostics:ping' || (payload as { test?: unknown } | null)?.test === true) return { kind: 'ignored', reason: 'ping' };
  if (eventKey === 'repo:refs_changed') {
    const push = PushEvent.safeParse(payload);
    return push.success ? { kind: 'push', repository: push.data.repository, event: push.data } : invalid(eventKey, push.error);
  }
  if (!eventKey.startsWith('pr:')) return { kind: 'ignored', reason: `${eventKey} is not forwarded` };
  const schema = reviewerKeys[eventKey] ? ReviewerEvent : eventKey.startsWith('pr:comment:') ? CommentEvent : eventKey === 'pr:from_ref_updated' ? SourceEvent : PullRequestEvent;
  const parsed = schema.safeParse(payload);
  if (!parsed.success) return invalid(eventKey, parsed.error);
  const event = parsed.data as z.infer<typeof PullRequestEvent> & Partial<z.infer<typeof ReviewerEvent> & z.infer<typeof CommentEvent> & z.infer<typeof SourceEvent>>;
  const repository = event.pullRequest.toRef.repository;
  if (!pullRequestChange(eventKey, event, '')) return { kind: 'ignored', reason: `${eventKey} is not forwarded` };
  return {
    kind: 'pull-request',
    eventKey,
    repository,
    pullRequest: event.pullRequest,
    change: (instance) => pullRequestChange(eventKey, event, instance)!,
    build: (change) => intentsFor(change).intents.map((intent) => ({ change, intent, body: { ...event, eventKey: intent.eventKey, pandev: pandevBase(intent, change) } })),
  };
}

type PrEvent = z.infer<typeof PullRequestEvent> & Partial<z.infer<typeof ReviewerEvent> & z.infer<typeof CommentEvent> & z.infer<typeof SourceEvent>>;

/** The change the poll would find for this event. */
function pullRequestChange(eventKey: string, event: PrEvent, instance: string): (Change & { pullRequestId: number }) | undefined {
  const pr = event.pullRequest;
  const repository = repositoryRef(pr.toRef.repository);
  const base = { edition: 'datacenter' as const, workspace: instance, repository, origin: 'webhook' as const, actor: actorRef(event.actor), pullRequestId: pr.id };
  const closed = isoTime(pr.closedDate ?? event.date);
  const status = reviewerKeys[eventKey];
  if (status && event.participant) return { ...base, at: isoTime(event.date), kind: 'reviewer', reviewers: [{ user: actorRef(event.participant.user), status, at: isoTime(event.date) }] };
  if (eventKey.startsWith('pr:comment:') && event.comment) {
    const action = eventKey === 'pr:comment:added' ? 'created' : eventKey === 'pr:comment:edited' ? 'updated' : eventKey === 'pr:comment:deleted' ? 'deleted' : undefined;
    if (!action) return undefined;
    const at = action === 'updated' ? (event.comment.updatedDate ?? event.date) : action === 'created' ? (event.comment.createdDate ?? event.date) : event.date;
    return { ...base, at: isoTime(at), kind: 'comment', action, commentId: event.comment.id };
  }
  switch (eventKey) {
    case 'pr:opened':
      return { ...base, at: isoTime(pr.createdDate), kind: 'pullrequest', action: 'created' };
    case 'pr:modified':
      return { ...base, at: isoTime(pr.updatedDate), kind: 'pullrequest', action: 'updated', updatedOn: isoTime(pr.updatedDate) };
    case 'pr:from_ref_updated':
      return { ...base, at: isoTime(event.date), kind: 'pullrequest', action: 'source-updated', previousFromHash: event.previousFromHash, fromHash: pr.fromRef.latestCommit };
    case 'pr:merged':
      return { ...base, at: closed, kind: 'pullrequest', action: 'fulfilled' };
    case 'pr:declined':
      return { ...base, at: closed, kind: 'pullrequest', action: 'rejected' };
    case 'pr:deleted':
      return { ...base, at: isoTime(event.date), kind: 'pullrequest', action: 'deleted' };
    default:
      return undefined;
  }
}

/** One delivery per ref change, with its commits and their files read from the API. */
export function pushEvents(event: PushEvent, instance: string, commitsOf: Map<string, MoveCommits>): Prebuilt[] {
  const source: DcSource = { instance, repository: event.repository, origin: 'webhook' };
  return event.changes.flatMap((change) => {
    const from = change.fromHash === NULL_HASH ? null : change.fromHash;
    const to = change.toHash === NULL_HASH ? null : change.toHash;
    const read: MoveCommits = commitsOf.get(change.ref.id) ?? { commits: [], truncated: false, files: new Map() };
    return refMoveEvents({ source, ref: change.ref, from, to, commits: read.commits, commitsTruncated: read.truncated, files: read.files, actor: event.actor, at: isoTime(event.date), ...(read.forced ? { forced: true } : {}) });
  });
}

function invalid(eventKey: string, error: z.ZodError): Parsed {
  const issue = error.issues[0];
  return { kind: 'invalid', reason: `malformed ${eventKey} payload (${issue?.path.join('.') || '(root)'}: ${issue?.message})` };
}
