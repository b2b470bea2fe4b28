// Forge product events for Bitbucket, shaped as the events reference documents them (shared notes,
// forge.md §1b). They identify things by UUID only; consumers fetch the rest over REST. Type aliases,
// not interfaces, so an event is also a plain `Record<string, unknown>` for code that forwards JSON.

export type ForgeActor = {
  type: string;
  accountId: string;
  uuid: string;
};

export type TruncatedValue = {
  value: string;
  truncated: boolean;
};

type Base = {
  timestamp: string;
  selfGenerated: boolean;
};

type RepositoryScoped = Base & {
  actor: ForgeActor;
  repository: { uuid: string; slug: string };
  project: { uuid: string };
  workspace: { uuid: string };
};

export type RepositoryEvent = RepositoryScoped & {
  eventType: 'avi:bitbucket:created:repository' | 'avi:bitbucket:deleted:repository';
};

export type RepositoryUpdatedEvent = RepositoryScoped & {
  eventType: 'avi:bitbucket:updated:repository';
  changes: Record<string, { old: TruncatedValue; new: TruncatedValue }>;
};

export type PushedCommit = {
  hash: string;
  message: TruncatedValue;
  date: string;
  author: { user: ForgeActor };
};

export type CommitPush = {
  ref: string;
  mainbranch: boolean;
  before?: string;
  after?: string;
  created: boolean;
  closed: boolean;
  forced: boolean;
  truncated: boolean;
  commits: PushedCommit[];
};

export type TagPush = {
  ref: string;
  created: boolean;
  forced: boolean;
  closed: boolean;
  before?: string;
  after?: string;
  date?: string;
  message?: TruncatedValue;
  author?: { user: ForgeActor };
};

export type PushEvent = RepositoryScoped & {
  eventType: 'avi:bitbucket:push:repository';
  push: CommitPush | TagPush;
};

export type ForgePullRequest = {
  id: number;
  state: string;
  source: { branch: string; commit: { hash: string } };
  destination: { branch: string; commit: { hash: string } };
  title: TruncatedValue;
  author: { type: string; accountId: string; uuid: string; displayName: string };
  mergeCommit?: { hash: string };
  updatedOn: string;
  createdOn: string;
  commentCount: number;
  taskCount: number;
};

export type PullRequestEvent = RepositoryScoped & {
  eventType:
    | 'avi:bitbucket:created:pullrequest'
    | 'avi:bitbucket:updated:pullrequest'
    | 'avi:bitbucket:fulfilled:pullrequest'
    | 'avi:bitbucket:rejected:pullrequest';
  pullrequest: ForgePullRequest;
};

export type CommentEvent = RepositoryScoped & {
  eventType:
    | 'avi:bitbucket:created:pullrequest-comment'
    | 'avi:bitbucket:updated:pullrequest-comment'
    | 'avi:bitbucket:deleted:pullrequest-comment';
  pullrequest: ForgePullRequest;
  comment: { id: number };
};

export type ReviewerStatus = 'approved' | 'changes_requested' | null;

export type ReviewerStatusEvent = RepositoryScoped & {
  eventType: 'avi:bitbucket:updated:pullrequest-reviewer-status';
  pullrequest: ForgePullRequest;
  reviewers: { value: { user: ForgeActor; status: ReviewerStatus; timestamp: string }[]; truncated: boolean };
};

export type BuildStatusEvent = RepositoryScoped & {
  eventType: 'avi:bitbucket:created:build-status' | 'avi:bitbucket:updated:build-status';
  buildStatus: { key: string; commit: { hash: string }; state: string; url: string; createdOn: string; updatedOn: string; refName?: string };
};

/** Deployment events carry no actor and no project. */
export type DeploymentEvent = Base & {
  eventType: 'avi:bitbucket:pending:deployment' | 'avi:bitbucket:started:deployment' | 'avi:bitbucket:completed:deployment';
  repository: { uuid: string; slug: string };
  workspace: { uuid: string };
  pipeline: { uuid: string };
  deployment: { uuid: string; state: string; status?: string; updatedTimestamp: string };
  environment: { uuid: string; type: string; name: string };
};

export type ForgeEvent =
  | RepositoryEvent
  | RepositoryUpdatedEvent
  | PushEvent
  | PullRequestEvent
  | CommentEvent
  | ReviewerStatusEvent
  | BuildStatusEvent
  | DeploymentEvent;
