import type { Change } from '../change/change';
import { normalizeTime } from '../change/delivery-id';
import type { DeliveryIntent } from '../change/intents';
import { epochMs, type BuildStatus, type Commit, type DcDate, type FileChange, type PullRequest, type Repository, type User } from '../enrich/datacenter/schema';
import type { Body } from './cloud';
import { TEXT_LIMIT } from './limit';

// Native Bitbucket Data Center webhook bodies (`{eventKey, date, actor, pullRequest, …}` and
// `{eventKey, date, actor, repository, changes, commits, toCommit}`), built from REST objects: a DC
// webhook shows the very objects the REST API returns, in that version's date format. Pure: the same
// parts always give the same body. What PanDev needs beyond the native shape is under `pandev`.

/** The webhook `date`: `2018-07-05T19:21:30+0000` in every version. */
export function dcWebhookDate(value: string | number): string {
  const ms = typeof value === 'number' ? value : epochMs(value);
  return `${new Date(ms).toISOString().slice(0, 19)}+0000`;
}

export function pandevBase(intent: DeliveryIntent, change: Change): Body {
  return { schema_version: 1, event_time: normalizeTime(epochMs(change.at)), entity: intent.entity };
}

export interface DcPullRequestParts {
  actor: User | null;
  pullRequest: PullRequest;
  /** Event-specific keys: participant and previousStatus, comment, previousFromHash, previousTitle… */
  extra?: Body;
}

export function dcPullRequestBody(parts: DcPullRequestParts, intent: DeliveryIntent, change: Change): Body {
  return { eventKey: intent.eventKey, date: dcWebhookDate(change.at), actor: parts.actor, pullRequest: parts.pullRequest, ...parts.extra, pandev: pandevBase(intent, change) };
}

export interface DcRefChange {
  ref: { id: string; displayId: string; type: 'BRANCH' | 'TAG' };
  refId: string;
  fromHash: string;
  toHash: string;
  type: 'ADD' | 'UPDATE' | 'DELETE';
}

export interface DcPushParts {
  actor: User | Body | null;
  repository: Repository;
  refChange: DcRefChange;
  /** The pushed commits, newest first, as the commits resource lists them. */
  commits: Commit[];
  commitsTruncated: boolean;
  /** Changed files per commit id, where they were read. */
  files: Map<string, { changes: FileChange[]; truncated: boolean }>;
}

/** DC lists a push's commits in the webhook; beyond this many the full list is under `pandev` only. */
const WEBHOOK_PUSH_COMMITS = 20;
const NULL_HASH = '0000000000000000000000000000000000000000';

export function dcPushBody(parts: DcPushParts, intent: DeliveryIntent, change: Change): Body {
  const { refChange, commits } = parts;
  const byId = new Map(commits.map((commit) => [commit.id, commit]));
  const tip = commits[0];
  // The webhook's toCommit shows its parents as commits (author, message…) where they are known.
  const toCommit = tip ? { ...tip, parents: (tip.parents ?? []).map((parent) => byId.get(parent.id) ?? parent) } : undefined;
  return {
    eventKey: intent.eventKey,
    date: dcWebhookDate(change.at),
    actor: parts.actor,
    repository: parts.repository,
    changes: [refChange],
    ...(refChange.type === 'DELETE' ? {} : { commits: commits.slice(0, WEBHOOK_PUSH_COMMITS) }),
    ...(toCommit ? { toCommit } : {}),
    pandev: {
      ...pandevBase(intent, change),
      // Data Center's webhook has no forced flag; Cloud's push has one, and the poll can tell (refs.ts).
      ref: { name: refChange.ref.displayId, type: refChange.ref.type === 'TAG' ? 'tag' : 'branch', from: nullHash(refChange.fromHash), to: nullHash(refChange.toHash), ...(change.kind === 'push' && change.forced ? { forced: true } : {}) },
      commits: commits.map((commit) => pandevCommit(commit, parts.files.get(commit.id))),
      commits_truncated: parts.commitsTruncated,
    },
  };
}

export interface DcBuildStatusParts {
  repository: Repository;
  commit: string;
  status: BuildStatus;
}

export function dcBuildStatusBody(parts: DcBuildStatusParts, intent: DeliveryIntent, change: Change): Body {
  return {
    eventKey: intent.eventKey,
    date: dcWebhookDate(change.at),
    repository: parts.repository,
    commit: { id: parts.commit, displayId: parts.commit.slice(0, 11) },
    buildStatus: parts.status,
    pandev: { ...pandevBase(intent, change), action: intent.eventKey, state: parts.status.state, key: parts.status.key },
  };
}

/**
 * The least a commit adds to a push body's `pandev.commits`, even after trimming (files not counted):
 * once a push's commits add up to more than the body limit, the body keeps only the newest
 * OVERSIZE_COMMITS of them, so the bridge need not read further (poll/commits.ts).
 */
export function pandevCommitBytes(commit: Commit): number {
  const entry = pandevCommit({ ...commit, message: commit.message?.slice(0, TEXT_LIMIT) }, undefined);
  return Buffer.byteLength(JSON.stringify(entry)) + 1;
}

function pandevCommit(commit: Commit, files: { changes: FileChange[]; truncated: boolean } | undefined): Body {
  const time = (value: DcDate | null | undefined) => (value == null ? null : new Date(epochMs(value)).toISOString());
  return {
    id: commit.id,
    message: commit.message ?? null,
    author: { name: commit.author?.name ?? null, email: commit.author?.emailAddress ?? null },
    author_time: time(commit.authorTimestamp),
    committer: { name: commit.committer?.name ?? null, email: commit.committer?.emailAddress ?? null },
    commit_time: time(commit.committerTimestamp),
    parents: (commit.parents ?? []).map((parent) => parent.id),
    ...(files
      ? { files: files.changes.map((change) => ({ path: change.path.toString, type: change.type ?? null })), files_count: files.changes.length, files_truncated: files.truncated }
      : {}),
  };
}

function nullHash(hash: string): string | null {
  return hash === NULL_HASH ? null : hash;
}

export { NULL_HASH };
