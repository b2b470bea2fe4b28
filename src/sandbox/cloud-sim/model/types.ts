// The simulator's in-memory state. It holds facts, not JSON: the renderers in ../render turn these
// into Bitbucket's representations, so one fact (say a PR's updated_on) has one value everywhere.
import type { Micros } from '../util/time';

export interface SimUser {
  uuid: string;
  accountId: string;
  displayName: string;
  nickname: string;
  email: string;
  createdOn: Micros;
  /** The Forge app acts as an `app_user` account, everyone else is a `user`. */
  kind: 'user' | 'app';
}

export interface Workspace {
  uuid: string;
  slug: string;
  name: string;
  createdOn: Micros;
}

export interface Project {
  uuid: string;
  key: string;
  name: string;
  createdOn: Micros;
}

/** Generated history only adds and edits files, so these are the two statuses it needs. */
export interface FileChange {
  path: string;
  status: 'added' | 'modified';
  linesAdded: number;
  linesRemoved: number;
}

export interface CommitAuthor {
  name: string;
  email: string;
  /** Absent when the email matches no Bitbucket account (bots, old addresses). */
  userUuid?: string;
}

export interface Commit {
  hash: string;
  parents: string[];
  author: CommitAuthor;
  date: Micros;
  message: string;
  files: FileChange[];
}

export interface Tag {
  name: string;
  target: string;
  /** Annotated tags carry a message, a tagger and a date; lightweight tags have none. */
  annotation?: { message: string; taggerUuid: string; date: Micros };
}

export type PullRequestState = 'OPEN' | 'MERGED' | 'DECLINED';

export interface PullRequestEndpoint {
  branch: string;
  hash: string;
}

export interface Participant {
  userUuid: string;
  role: 'PARTICIPANT' | 'REVIEWER';
  approved: boolean;
  state: 'approved' | 'changes_requested' | null;
  participatedOn: Micros;
}

export interface PullRequestComment {
  id: number;
  userUuid: string;
  raw: string;
  createdOn: Micros;
  updatedOn: Micros;
  deleted: boolean;
  parentId?: number;
  inline?: { path: string; to: number | null; from: number | null };
}

/** One entry of the activity log; comments are referenced so edits show through. */
export type ActivityEntry =
  | { kind: 'update'; date: Micros; actorUuid: string; state: PullRequestState; title: string; description: string;
      reason: string; source: PullRequestEndpoint; destination: PullRequestEndpoint }
  | { kind: 'approval'; date: Micros; userUuid: string }
  | { kind: 'changes_request'; date: Micros; userUuid: string }
  | { kind: 'comment'; date: Micros; commentId: number };

export interface PullRequest {
  id: number;
  title: string;
  description: string;
  state: PullRequestState;
  authorUuid: string;
  source: PullRequestEndpoint;
  destination: PullRequestEndpoint;
  createdOn: Micros;
  updatedOn: Micros;
  closedByUuid: string | null;
  mergeHash: string | null;
  closeSourceBranch: boolean;
  draft: boolean;
  reason: string;
  reviewerUuids: string[];
  participants: Participant[];
  comments: PullRequestComment[];
  activity: ActivityEntry[];
}

export type BuildState = 'SUCCESSFUL' | 'FAILED' | 'INPROGRESS' | 'STOPPED';

export interface BuildStatus {
  key: string;
  name: string;
  state: BuildState;
  description: string;
  url: string;
  refname: string | null;
  commitHash: string;
  createdOn: Micros;
  updatedOn: Micros;
}

export type EnvironmentName = 'Test' | 'Staging' | 'Production';

export interface Environment {
  uuid: string;
  name: EnvironmentName;
  rank: number;
}

export type PipelineResult = 'SUCCESSFUL' | 'FAILED';

export interface Pipeline {
  uuid: string;
  buildNumber: number;
  creatorUuid: string;
  refName: string;
  commitHash: string;
  createdOn: Micros;
  /** Null while the pipeline runs. */
  completedOn: Micros | null;
  result: PipelineResult | null;
}

export interface Deployment {
  uuid: string;
  environmentUuid: string;
  pipelineUuid: string;
  stepUuid: string;
  commitHash: string;
  deployerUuid: string;
  state: 'PENDING' | 'IN_PROGRESS' | 'COMPLETED';
  status: PipelineResult | null;
  createdOn: Micros;
  startedOn: Micros | null;
  completedOn: Micros | null;
  updatedOn: Micros;
}

export interface Repository {
  uuid: string;
  slug: string;
  name: string;
  description: string;
  language: string;
  projectKey: string;
  createdOn: Micros;
  updatedOn: Micros;
  mainBranch: string;
  website: string | null;
  hasIssues: boolean;
  hasWiki: boolean;
  commits: Map<string, Commit>;
  /** Branch name → tip hash. */
  branches: Map<string, string>;
  tags: Map<string, Tag>;
  pullRequests: Map<number, PullRequest>;
  nextPullRequestId: number;
  /** Commit hash → key → status. */
  statuses: Map<string, Map<string, BuildStatus>>;
  pipelines: Pipeline[];
  environments: Environment[];
  deployments: Deployment[];
  /** Paths that exist on the main line, for realistic "modified" diffstat entries. */
  files: string[];
}
