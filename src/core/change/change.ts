import { z } from 'zod';

// A change says only *what* changed, in a repository, as a source saw it. The core decides what to
// fetch, what to send and whether it was sent already, so every source (Forge trigger, reconciliation,
// backfill, bridge poll, Data Center webhook) produces the same deliveries with the same ids.

export const Edition = z.enum(['cloud', 'datacenter']);
export type Edition = z.infer<typeof Edition>;

export const Origin = z.enum(['trigger', 'reconcile', 'backfill', 'poll', 'webhook']);
export type Origin = z.infer<typeof Origin>;

/** Who did it, as far as the source knows (Forge events carry ids only). */
export const ActorRef = z.object({
  uuid: z.string().optional(),
  accountId: z.string().optional(),
  /** Data Center: the user's numeric id (stable across renames) and login name. */
  id: z.number().int().optional(),
  name: z.string().optional(),
});
export type ActorRef = z.infer<typeof ActorRef>;

export const ReviewerStatus = z.enum(['approved', 'changes_requested', 'none']);
export type ReviewerStatus = z.infer<typeof ReviewerStatus>;

/** Commits of a forced push's event a change keeps at most (Forge's events list a handful). */
export const PUSH_NAMED_MAX = 100;

const Common = {
  edition: Edition,
  /** Cloud: the workspace UUID with braces. Data Center: the instance id. */
  workspace: z.string(),
  repository: z.object({ uuid: z.string(), slug: z.string().optional() }),
  actor: ActorRef.optional(),
  origin: Origin,
  /** When the event happened, ISO 8601, as the source reported it. */
  at: z.string(),
  /**
   * Data Center, a change versioned by its second (datacenter-intents.ts): the how-manieth change of its
   * kind on its entity in that second (approved, unapproved and approved again), when not the first; it
   * tells their ids apart (core/change/same-second.ts counts it).
   */
  occurrence: z.number().int().min(2).optional(),
};

export const PullRequestChange = z.object({
  ...Common,
  kind: z.literal('pullrequest'),
  /** `deleted` and `source-updated` exist on Data Center only (pr:deleted, pr:from_ref_updated). */
  action: z.enum(['created', 'updated', 'fulfilled', 'rejected', 'deleted', 'source-updated']),
  pullRequestId: z.number().int().positive(),
  /** The pull request's `updated_on` the source saw; versions `pullrequest:updated`. */
  updatedOn: z.string().optional(),
  /** Data Center `source-updated`: the source branch moved from one commit to another. */
  previousFromHash: z.string().optional(),
  fromHash: z.string().optional(),
});

export const CommentChange = z.object({
  ...Common,
  kind: z.literal('comment'),
  action: z.enum(['created', 'updated', 'deleted']),
  pullRequestId: z.number().int().positive(),
  commentId: z.number().int().positive(),
  /** The comment's `updated_on` as Bitbucket keeps it; versions `pullrequest:comment_updated`. */
  updatedOn: z.string().optional(),
});

export const ReviewerChange = z.object({
  ...Common,
  kind: z.literal('reviewer'),
  pullRequestId: z.number().int().positive(),
  reviewers: z.array(z.object({ user: ActorRef, status: ReviewerStatus, at: z.string() })).min(1),
});

export const PushChange = z.object({
  ...Common,
  kind: z.literal('push'),
  ref: z.object({ name: z.string(), type: z.enum(['branch', 'tag']) }),
  before: z.string().nullable(),
  after: z.string().nullable(),
  created: z.boolean(),
  closed: z.boolean(),
  forced: z.boolean(),
  /**
   * The app had no tip for the ref and sent only what moved since `before`, a recent point on its line:
   * what moved before that, in a backfill's window, is still owed, and the backfill fills it in.
   */
  historyBehind: z.literal(true).optional(),
  /** Older history of the ref (a widened backfill window's): delivered, but the ref's recorded tip stays where it is. */
  history: z.literal(true).optional(),
  /**
   * A forced branch push as its Forge event told it: the hashes of the commits it named (newest first,
   * possibly short) and whether it cut the list. When Bitbucket has collected the replaced head and no
   * other branch bounds the walk (a forced push to the main branch), it is the only bound there is:
   * without it the main branch's whole history was listed as the push's. Kept for forced pushes only
   * (the change is queued and stored: small); other sources, and changes stored before, have none.
   */
  named: z.object({ hashes: z.array(z.string().regex(/^[0-9a-f]{7,64}$/)).max(PUSH_NAMED_MAX), truncated: z.literal(true).optional() }).optional(),
});

export const RepositoryChange = z.object({
  ...Common,
  kind: z.literal('repository'),
  action: z.enum(['created', 'updated', 'deleted']),
  changes: z.record(z.string(), z.unknown()).optional(),
});

export const BuildStatusChange = z.object({
  ...Common,
  kind: z.literal('build-status'),
  action: z.enum(['created', 'updated']),
  commit: z.string(),
  key: z.string(),
  state: z.string(),
  updatedOn: z.string().optional(),
});

export const DeploymentChange = z.object({
  ...Common,
  kind: z.literal('deployment'),
  action: z.enum(['pending', 'started', 'completed']),
  deploymentUuid: z.string(),
  environmentUuid: z.string(),
  /** Forge events name the environment; the deployment API object does not. */
  environment: z.object({ name: z.string().optional(), type: z.string().optional() }).optional(),
  pipelineUuid: z.string().optional(),
  state: z.string().optional(),
});

export const Change = z.discriminatedUnion('kind', [
  PullRequestChange,
  CommentChange,
  ReviewerChange,
  PushChange,
  RepositoryChange,
  BuildStatusChange,
  DeploymentChange,
]);
export type Change = z.infer<typeof Change>;
export type ChangeKind = Change['kind'];
export type ChangeOf<K extends ChangeKind> = Extract<Change, { kind: K }>;

/**
 * A log line's repository: its stable id, and its name when the source gave one (Data Center
 * `PROJECT/slug`), so an operator who searches the log for the name finds its deliveries.
 */
export function repositoryLogFields(change: Change): { repository: string; repositoryName?: string } {
  return { repository: change.repository.uuid, ...(change.repository.slug ? { repositoryName: change.repository.slug } : {}) };
}
