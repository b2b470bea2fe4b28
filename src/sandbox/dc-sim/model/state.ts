// Everything the simulator knows about the instance. Read it freely (tests do); change it only through
// the operations in ../ops, which keep timestamps, activities, branch tips and webhooks consistent.
import { CommitIds } from '../util/commit-ids';
import type { DcRepository, StatusStore } from './repository';
import type { DcProject, DcUser } from './types';

/** A personal access token the sandbox hands out. `revoked` tokens exist but authenticate nobody. */
export interface DcToken {
  label: 'admin' | 'user' | 'revoked';
  token: string;
  userId: number;
  revoked: boolean;
}

export interface InstanceIdentity {
  seed: string;
  /** Derived from the seed; keys the commit id scramble and every on-demand derivation. */
  key: number;
  displayName: string;
  serverId: string;
}

export class DcModel {
  readonly repositories: DcRepository[] = [];
  readonly statuses: StatusStore = new Map();
  readonly commitIds: CommitIds;
  /**
   * Project keys each user (by id) may no longer read: an administrator removed their permission. Data
   * Center then leaves those repositories out of `/repos` and answers 401 (AuthorisationException) to
   * the user's requests about them, as the 9.2 spec's 401s say ("insufficient permissions").
   */
  readonly denied = new Map<number, Set<string>>();
  private lastStamp = 0;
  private nextActivityId: number;
  private nextCommentId: number;

  constructor(
    readonly identity: InstanceIdentity,
    readonly users: DcUser[],
    readonly projects: DcProject[],
    readonly tokens: DcToken[],
    /** Ids below these are reserved for seeded activities and comments (blocks per seeded pull request). */
    reserved: { activities: number; comments: number },
  ) {
    this.commitIds = new CommitIds(identity.key);
    this.nextActivityId = reserved.activities + 1;
    this.nextCommentId = reserved.comments + 1;
  }

  /**
   * The instant a live mutation happens: the requested time, or a millisecond after the previous one.
   * Strictly increasing instants keep "newest first" orders unambiguous under a stopped fake clock.
   */
  stamp(requested: number): number {
    this.lastStamp = Math.max(Math.round(requested), this.lastStamp + 1);
    return this.lastStamp;
  }

  /** Activity and comment ids are global in Data Center. */
  activityId(): number {
    return this.nextActivityId++;
  }

  commentId(): number {
    return this.nextCommentId++;
  }

  user(ref: string | number): DcUser | undefined {
    if (typeof ref === 'number') return this.users.find((user) => user.id === ref);
    const slug = ref.toLowerCase();
    return this.users.find((user) => user.slug === slug || user.name === slug);
  }

  userById(id: number): DcUser {
    const user = this.users.find((candidate) => candidate.id === id);
    if (!user) throw new Error(`unknown user ${id}`);
    return user;
  }

  /** Project keys are case-insensitive in Data Center URLs. */
  project(key: string): DcProject | undefined {
    const upper = key.toUpperCase();
    return this.projects.find((project) => project.key.toUpperCase() === upper);
  }

  repository(projectKey: string, slug: string): DcRepository | undefined {
    const project = this.project(projectKey);
    const lower = slug.toLowerCase();
    return project ? this.repositories.find((repo) => repo.projectKey === project.key && repo.slug === lower) : undefined;
  }

  canRead(userId: number, projectKey: string): boolean {
    return !this.denied.get(userId)?.has(projectKey.toUpperCase());
  }

  repositoryById(id: number): DcRepository {
    const repo = this.repositories.find((candidate) => candidate.id === id);
    if (!repo) throw new Error(`unknown repository ${id}`);
    return repo;
  }
}
