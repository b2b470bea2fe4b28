import { z } from 'zod';
import { PUSH_NAMED_MAX, type Change, type PushChange, type ReviewerStatus } from './change';
import { InvalidInputError } from '../errors';

// Forge product events for Bitbucket (notes/forge.md §1b), parsed at the edge. The shapes come from
// Atlassian's event reference; fields we do not use are tolerated and stripped, fields we use are
// checked, so a changed payload fails loudly with the field's name instead of deep in the pipeline.

// Every text the change carries on is bounded: one too long for a queue event (200 KB) or a stored
// value (240 KiB) made the trigger throw when it queued or parked the change, and the event was lost
// with no reason kept. Bitbucket's own are far shorter (ids of tens of characters, slugs of 62).
const Id = z.string().min(1).max(200);
const Text = z.string().max(2000);
const Uuid = z.object({ uuid: Id });
const Actor = z.object({ type: Text.optional(), accountId: Text.optional(), uuid: Text.optional() });

const Base = z.object({
  eventType: z.string(),
  timestamp: Text.optional(),
  selfGenerated: z.boolean().optional(),
  actor: Actor.optional(),
  repository: z.object({ uuid: Id, slug: Text.optional() }),
  workspace: Uuid,
});

const PullRequest = z.object({ id: z.number().int().positive(), updatedOn: Text.optional(), createdOn: Text.optional() });

const PullRequestEvent = Base.extend({ pullrequest: PullRequest });
const CommentEvent = Base.extend({ pullrequest: PullRequest, comment: z.object({ id: z.number().int().positive() }) });
const ReviewerEvent = Base.extend({
  pullrequest: PullRequest,
  reviewers: z.object({
    value: z.array(z.object({ user: Actor, status: Text.nullish(), timestamp: Text.optional() })).min(1),
  }),
});
// Whether `ref` is a name or an object is not settled by the docs (UNCONFIRMED); accept both.
const Ref = z.union([Text, z.object({ name: Text, type: Text.optional() })]);
const PushEvent = Base.extend({
  push: z.object({
    ref: Ref,
    mainbranch: z.boolean().optional(),
    before: Text.nullish(),
    after: Text.nullish(),
    created: z.boolean().optional(),
    closed: z.boolean().optional(),
    forced: z.boolean().optional(),
    truncated: z.boolean().optional(),
    commits: z.array(z.unknown()).optional(),
  }),
});
// Checked one by one: a commit the app cannot name is left out (and the list said cut), not the push.
const PushedCommit = z.object({ hash: z.string().regex(/^[0-9a-f]{7,64}$/i) });
const RepositoryEvent = Base.extend({ changes: z.record(z.string(), z.unknown()).optional() });
/**
 * Forge cuts long values itself (`{ value, truncated }`), and how far is not documented: `changes` past
 * these bounds would overflow the queue or the parking store, so they are left out (the body's
 * `changes` then says nothing changed that it can name), not the event with them.
 */
const CHANGES_BYTES = 32 * 1024;
const CHANGES_DEPTH = 10;
const BuildStatusEvent = Base.extend({
  buildStatus: z.object({
    key: Text,
    commit: z.object({ hash: Text }),
    state: Text,
    updatedOn: Text.optional(),
    createdOn: Text.optional(),
  }),
});
// Deployment events carry no actor or project.
const DeploymentEvent = Base.extend({
  pipeline: Uuid.optional(),
  deployment: z.object({ uuid: Id, state: z.unknown().optional(), updatedTimestamp: Text.optional() }),
  environment: z.object({ uuid: Id, type: Text.optional(), name: Text.optional() }),
});

export const forgeEventTypes = [
  'avi:bitbucket:created:pullrequest',
  'avi:bitbucket:updated:pullrequest',
  'avi:bitbucket:fulfilled:pullrequest',
  'avi:bitbucket:rejected:pullrequest',
  'avi:bitbucket:created:pullrequest-comment',
  'avi:bitbucket:updated:pullrequest-comment',
  'avi:bitbucket:deleted:pullrequest-comment',
  'avi:bitbucket:updated:pullrequest-reviewer-status',
  'avi:bitbucket:created:repository',
  'avi:bitbucket:updated:repository',
  'avi:bitbucket:deleted:repository',
  'avi:bitbucket:push:repository',
  'avi:bitbucket:created:build-status',
  'avi:bitbucket:updated:build-status',
  'avi:bitbucket:pending:deployment',
  'avi:bitbucket:started:deployment',
  'avi:bitbucket:completed:deployment',
] as const;
export type ForgeEventType = (typeof forgeEventTypes)[number];

export function isForgeEventType(value: string): value is ForgeEventType {
  return (forgeEventTypes as readonly string[]).includes(value);
}

/** What the trigger needs before queueing: whether to drop the event, and for which repository. */
export const ForgeEventHeader = z.object({
  eventType: z.string(),
  selfGenerated: z.boolean().optional(),
  // Bounded too: the repository is kept with a dropped event's reason.
  repository: z.object({ uuid: Id }).optional(),
  workspace: z.object({ uuid: Id }).optional(),
});

/** Turns a Forge product event into a change, or throws InvalidInputError naming what is wrong. */
export function changeFromForgeEvent(raw: unknown, observedAt: string): Change {
  const header = ForgeEventHeader.safeParse(raw);
  if (!header.success) throw invalid('Forge', header.error);
  const type = header.data.eventType;
  if (!isForgeEventType(type)) throw new InvalidInputError(`unknown event type "${type}": not one of the Bitbucket events this app subscribes to`);
  const [, , action, entity] = type.split(':') as [string, string, string, string];
  const parse = <T extends z.ZodType>(schema: T): z.infer<T> => {
    const result = schema.safeParse(raw);
    if (!result.success) throw invalid(type, result.error);
    return result.data;
  };
  const common = (event: z.infer<typeof Base>) => ({
    edition: 'cloud' as const,
    workspace: event.workspace.uuid,
    repository: { uuid: event.repository.uuid, ...(event.repository.slug ? { slug: event.repository.slug } : {}) },
    ...(event.actor ? { actor: { uuid: event.actor.uuid, accountId: event.actor.accountId } } : {}),
    origin: 'trigger' as const,
    at: event.timestamp ?? observedAt,
  });
  switch (entity) {
    case 'pullrequest': {
      const event = parse(PullRequestEvent);
      return { ...common(event), kind: 'pullrequest', action: action as 'created', pullRequestId: event.pullrequest.id, updatedOn: event.pullrequest.updatedOn };
    }
    case 'pullrequest-comment': {
      const event = parse(CommentEvent);
      return { ...common(event), kind: 'comment', action: action as 'created', pullRequestId: event.pullrequest.id, commentId: event.comment.id };
    }
    case 'pullrequest-reviewer-status': {
      const event = parse(ReviewerEvent);
      const at = common(event).at;
      const reviewers = event.reviewers.value.map((r) => ({
        user: { uuid: r.user.uuid, accountId: r.user.accountId },
        status: reviewerStatus(r.status),
        at: r.timestamp ?? at,
      }));
      return { ...common(event), kind: 'reviewer', pullRequestId: event.pullrequest.id, reviewers };
    }
    case 'repository':
      return action === 'push' ? pushChange(parse(PushEvent), common) : repositoryChange(parse(RepositoryEvent), action, common);
    case 'build-status': {
      const event = parse(BuildStatusEvent);
      const status = event.buildStatus;
      return { ...common(event), kind: 'build-status', action: action as 'created', commit: status.commit.hash, key: status.key, state: status.state, updatedOn: status.updatedOn ?? status.createdOn };
    }
    default: {
      const event = parse(DeploymentEvent);
      const state = typeof event.deployment.state === 'string' ? event.deployment.state.slice(0, 100) : stateName(event.deployment.state);
      return {
        ...common(event),
        kind: 'deployment',
        action: action as 'pending',
        deploymentUuid: event.deployment.uuid,
        environmentUuid: event.environment.uuid,
        environment: { name: event.environment.name, type: event.environment.type },
        ...(event.pipeline ? { pipelineUuid: event.pipeline.uuid } : {}),
        ...(state ? { state } : {}),
      };
    }
  }
}

function pushChange(event: z.infer<typeof PushEvent>, common: (e: z.infer<typeof Base>) => object): Change {
  const push = event.push;
  const name = typeof push.ref === 'string' ? push.ref.replace(/^refs\/(heads|tags)\//, '') : push.ref.name;
  // A tag push carries no commit list and no main-branch flag (TagPush in the event reference).
  const isTag = typeof push.ref === 'string' ? push.ref.startsWith('refs/tags/') || (push.commits === undefined && push.mainbranch === undefined) : push.ref.type === 'tag';
  return {
    ...(common(event) as Omit<Change, 'kind'>),
    kind: 'push',
    ref: { name, type: isTag ? 'tag' : 'branch' },
    before: push.before ?? null,
    after: push.after ?? null,
    created: push.created ?? !push.before,
    closed: push.closed ?? !push.after,
    forced: push.forced ?? false,
    ...(push.forced && !isTag && push.commits ? { named: namedCommits(push.commits, push.truncated === true) } : {}),
  } as Change;
}

/** The hashes a forced push's event named, bounded, and whether the list is short of the push's. */
function namedCommits(commits: unknown[], truncated: boolean): NonNullable<z.infer<typeof PushChange>['named']> {
  const hashes = commits.flatMap((commit) => {
    const parsed = PushedCommit.safeParse(commit);
    return parsed.success ? [parsed.data.hash.toLowerCase()] : [];
  });
  const kept = hashes.slice(0, PUSH_NAMED_MAX);
  return { hashes: kept, ...(truncated || kept.length < commits.length ? { truncated: true as const } : {}) };
}

function repositoryChange(event: z.infer<typeof RepositoryEvent>, action: string, common: (e: z.infer<typeof Base>) => object): Change {
  const changes = event.changes && Buffer.byteLength(JSON.stringify(event.changes)) <= CHANGES_BYTES && depth(event.changes) <= CHANGES_DEPTH ? event.changes : undefined;
  return { ...(common(event) as Omit<Change, 'kind'>), kind: 'repository', action: action as 'created', ...(changes ? { changes } : {}) } as Change;
}

function reviewerStatus(status: string | null | undefined): ReviewerStatus {
  if (status === 'approved') return 'approved';
  if (status === 'changes_requested' || status === 'changes-requested') return 'changes_requested';
  return 'none';
}

function stateName(state: unknown): string | undefined {
  if (state && typeof state === 'object' && 'name' in state && typeof state.name === 'string') return state.name.slice(0, 100);
  return undefined;
}

function depth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depth));
}

function invalid(what: string, error: z.ZodError): InvalidInputError {
  const issues = error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  return new InvalidInputError(`malformed ${what} event: ${issues.join('; ')}`, issues);
}
