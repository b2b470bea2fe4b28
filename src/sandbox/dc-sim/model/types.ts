// The simulator's facts, in epoch milliseconds. Renderers in ../render turn them into Data Center's JSON
// (and pick the 9.x or 10.x date format), so one fact has one value in REST answers and webhooks alike.

export interface DcUser {
  id: number;
  /** Login name; also the slug for these simple names. */
  name: string;
  slug: string;
  displayName: string;
  email: string;
  active: boolean;
}

export interface DcProject {
  id: number;
  /** `~alice` for a personal project. */
  key: string;
  name: string;
  description: string;
  /** Set for personal projects (type PERSONAL); they are not listed by `GET /projects`. */
  ownerId?: number;
}

/** A git identity. `userId` when the email belongs to a Bitbucket user (DC then shows the whole user). */
export interface Person {
  name: string;
  email: string;
  userId?: number;
}

export type ChangeType = 'ADD' | 'MODIFY' | 'DELETE';

export interface FileChange {
  path: string;
  type: ChangeType;
  contentId: string;
  fromContentId: string;
}

export interface DcCommit {
  id: string;
  parents: string[];
  author: Person;
  authorAt: number;
  committer: Person;
  committerAt: number;
  message: string;
  changes: FileChange[];
}

export interface DcTag {
  name: string;
  /** The commit the tag points at. */
  target: string;
  /** The tag object of an annotated tag (what `hash` shows); null for lightweight tags. */
  objectId: string | null;
}

export type PullRequestState = 'OPEN' | 'MERGED' | 'DECLINED';
export type ReviewStatus = 'UNAPPROVED' | 'APPROVED' | 'NEEDS_WORK';

export interface Participant {
  userId: number;
  role: 'REVIEWER' | 'PARTICIPANT';
  status: ReviewStatus;
  lastReviewedCommit?: string;
}

export interface DcComment {
  id: number;
  version: number;
  text: string;
  authorId: number;
  createdAt: number;
  updatedAt: number;
  parentId?: number;
  deleted: boolean;
}

interface ActivityBase {
  id: number;
  at: number;
  userId: number;
}

export type Activity = ActivityBase & (
  | { action: 'OPENED' | 'DECLINED' | 'REOPENED' | 'APPROVED' | 'UNAPPROVED' | 'REVIEWED' }
  | { action: 'MERGED'; commit: string }
  | { action: 'RESCOPED'; fromHash: string; previousFromHash: string; toHash: string; previousToHash: string; added: string[]; removed: string[] }
  | { action: 'UPDATED'; addedReviewers: number[]; removedReviewers: number[] }
  | { action: 'COMMENTED'; commentAction: 'ADDED' | 'REPLIED' | 'EDITED' | 'DELETED'; commentId: number }
);

export type ActivityAction = Activity['action'];

/** A pull request in full: generated from its seed on demand, or held explicitly once changed live. */
export interface PullRequest {
  id: number;
  version: number;
  title: string;
  description: string;
  state: PullRequestState;
  draft: boolean;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  authorId: number;
  from: { repositoryId: number; branch: string; hash: string };
  /** `hash` null: the pull request is open and follows its target branch's tip. */
  to: { branch: string; hash: string | null };
  /** Reviewers and participants (people who commented or reviewed without being asked), in join order. */
  participants: Participant[];
  /** Oldest first. */
  commits: string[];
  mergeCommit: string | null;
  comments: DcComment[];
  /** Oldest first; the REST answer reverses it. */
  activities: Activity[];
}

/**
 * What the seeder keeps of a historical pull request: the few numbers its content is regenerated from.
 * Everything else (title, people, commits, comments, activity) follows from these and the seed.
 */
export interface SeededPullRequest {
  id: number;
  /** Position among all seeded pull requests of the instance; reserves id blocks for activities and comments. */
  ordinal: number;
  state: PullRequestState;
  /** When the source branch was cut from the target branch. */
  cutAt: number;
  createdAt: number;
  /** When more commits were pushed after opening (0: never). */
  rescopeAt: number;
  updatedAt: number;
  closedAt: number | null;
  initialCommits: number;
  addedCommits: number;
  /** Main-line position the source branch was cut from, and the merge commit's position (-1 if not merged). */
  baseIndex: number;
  mergeIndex: number;
}

export type BuildState = 'SUCCESSFUL' | 'FAILED' | 'INPROGRESS';

export interface BuildStatus {
  key: string;
  state: BuildState;
  name: string;
  url: string;
  description: string;
  createdAt: number;
  updatedAt: number;
}
