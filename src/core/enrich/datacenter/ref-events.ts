import type { Change } from '../../change/change';
import { intentsFor } from '../../change/intents';
import type { Prebuilt } from '../../history/prebuilt';
import type { Body } from '../../payload/cloud';
import { dcBuildStatusBody, dcPushBody, NULL_HASH, type DcRefChange } from '../../payload/datacenter';
import { actorRef, isoTime, repositoryRef, type DcSource } from './pull-request-events';
import { buildStatusTime, type BuildStatus, type Commit, type FileChange, type User } from './schema';

// A branch or tag that moved becomes one repo:refs_changed, identified like a live push (ref and
// from..to), so the webhook for the same move and the poll that finds it give one delivery.

export interface RefMove {
  source: DcSource;
  ref: { id: string; displayId: string; type: 'BRANCH' | 'TAG' };
  /** null: the ref is new (or new to the bridge); `to` null: it was deleted. */
  from: string | null;
  to: string | null;
  /** Newest first; empty for tags and deletions. */
  commits: Commit[];
  commitsTruncated: boolean;
  files: Map<string, { changes: FileChange[]; truncated: boolean }>;
  /** Who pushed: the webhook's actor; the poll knows only the tip's author. */
  actor: User | Body | null;
  /** When: the webhook's date; the poll's, the tip commit's time, or when it found a move that brought no commit. */
  at: string;
  /** `from` is no longer in the repository: the ref was rewritten (force push), as Cloud's `forced`. */
  forced?: boolean;
}

export function refMoveEvents(move: RefMove): Prebuilt[] {
  const actor = move.actor && 'name' in move.actor && typeof move.actor.name === 'string' && typeof (move.actor as User).id === 'number' ? actorRef(move.actor as User) : undefined;
  const change: Change = {
    edition: 'datacenter',
    workspace: move.source.instance,
    repository: repositoryRef(move.source.repository),
    ...(actor ? { actor } : {}),
    origin: move.source.origin,
    at: move.at,
    kind: 'push',
    ref: { name: move.ref.displayId, type: move.ref.type === 'TAG' ? 'tag' : 'branch' },
    before: move.from,
    after: move.to,
    created: !move.from,
    closed: !move.to,
    forced: move.forced ?? false,
  };
  const refChange: DcRefChange = {
    ref: move.ref,
    refId: move.ref.id,
    fromHash: move.from ?? NULL_HASH,
    toHash: move.to ?? NULL_HASH,
    type: !move.from ? 'ADD' : !move.to ? 'DELETE' : 'UPDATE',
  };
  return intentsFor(change).intents.map((intent) => ({
    change,
    intent,
    body: dcPushBody({ actor: move.actor, repository: move.source.repository, refChange, commits: move.commits, commitsTruncated: move.commitsTruncated, files: move.files }, intent, change),
  }));
}

/** A build status seen for the first time is `created`; a later state of the same key is `updated`. */
export function buildStatusEvents(source: DcSource, commit: string, status: BuildStatus, firstSeen: boolean): Prebuilt[] {
  const when = buildStatusTime(status);
  const at = when === undefined ? new Date(0).toISOString() : isoTime(when);
  const change: Change = {
    edition: 'datacenter',
    workspace: source.instance,
    repository: repositoryRef(source.repository),
    origin: source.origin,
    at,
    kind: 'build-status',
    action: firstSeen ? 'created' : 'updated',
    commit,
    key: status.key,
    state: status.state,
    updatedOn: at,
  };
  return intentsFor(change).intents.map((intent) => ({ change, intent, body: dcBuildStatusBody({ repository: source.repository, commit, status }, intent, change) }));
}
