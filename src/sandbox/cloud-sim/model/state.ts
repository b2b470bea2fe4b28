import type { Micros } from '../util/time';
import type { Project, Repository, SimUser, Workspace } from './types';

/** A credential the sandbox hands out; the bearer token and the email/API-token pair identify one caller. */
export interface Credential {
  label: string;
  token: string;
  email: string;
  apiToken: string;
  userUuid: string;
}

/** Canonical form for comparing UUIDs that arrive with or without braces, in any case. */
export const normalizeUuid = (value: string): string => `{${value.replace(/^\{|\}$/g, '').toLowerCase()}}`;

const looksLikeUuid = (value: string): boolean => /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i.test(value);

/**
 * Everything the simulator knows. Read it freely (tests do); change it only through the operations in
 * ../ops, which keep timestamps, activity logs and events consistent.
 */
export class SimModel {
  readonly repositories = new Map<string, Repository>();
  private lastStamp: Micros = 0;
  private commentIds: number;

  constructor(
    readonly workspace: Workspace,
    readonly users: SimUser[],
    readonly app: SimUser,
    readonly projects: Project[],
    readonly credentials: { app: Credential; admin: Credential; member: Credential },
    firstCommentId: number,
  ) {
    this.commentIds = firstCommentId;
  }

  /**
   * The instant a mutation happens: the requested time, or one microsecond after the previous mutation.
   * Strictly increasing instants keep "newest first" orders and ids derived from timestamps unambiguous.
   */
  stamp(requested: Micros): Micros {
    this.lastStamp = Math.max(Math.round(requested), this.lastStamp + 1);
    return this.lastStamp;
  }

  /** Comment ids are global in Bitbucket Cloud, not per pull request. */
  nextCommentId(): number {
    this.commentIds += 1 + (this.commentIds % 7);
    return this.commentIds;
  }

  /** By slug or by UUID (with or without braces), as the REST paths accept both. */
  repository(ref: string): Repository | undefined {
    if (looksLikeUuid(ref)) return this.repositories.get(normalizeUuid(ref));
    const slug = ref.toLowerCase();
    return [...this.repositories.values()].find((repo) => repo.slug === slug);
  }

  /** By UUID, account id or nickname. */
  user(ref: string): SimUser | undefined {
    const all = [...this.users, this.app];
    if (looksLikeUuid(ref)) return all.find((user) => user.uuid === normalizeUuid(ref));
    return all.find((user) => user.accountId === ref || user.nickname === ref);
  }

  userByUuid(uuid: string): SimUser {
    const user = this.user(uuid);
    if (!user) throw new Error(`unknown user ${uuid}`);
    return user;
  }

  /** The workspace owner: the admin credential's user, who also owns the repositories. */
  owner(): SimUser {
    return this.userByUuid(this.credentials.admin.userUuid);
  }

  project(key: string): Project {
    const project = this.projects.find((candidate) => candidate.key === key);
    if (!project) throw new Error(`unknown project ${key}`);
    return project;
  }

  isWorkspace(ref: string): boolean {
    return looksLikeUuid(ref) ? normalizeUuid(ref) === this.workspace.uuid : ref.toLowerCase() === this.workspace.slug;
  }
}
