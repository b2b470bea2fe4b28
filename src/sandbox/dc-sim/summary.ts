// What the simulator says about itself: its version, its sandbox tokens, and the summary `GET
// /_sim/instance` and the CLI show (where the instance is, what it holds).
import type { DcModel } from './model/state';
import type { JsonObject, RenderContext } from './render/context';
import { user } from './render/entities';
import type { DateFormat } from './util/dates';

/** What `/application-properties` and the webhook User-Agent report for each simulated version. */
export const VERSIONS: Record<DateFormat, { version: string; buildNumber: string; buildDate: string }> = {
  '9.x': { version: '9.4.0', buildNumber: '9004000', buildDate: '1705964734000' },
  '10.x': { version: '10.3.0', buildNumber: '10003000', buildDate: '1742292456000' },
};

/** Any version, its build number formed as Data Center forms it (9.4.0 → 9004000). */
export function versionInfo(version: string, buildDate: string): { version: string; buildNumber: string; buildDate: string } {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return { version, buildNumber: String(major * 1_000_000 + minor * 1000 + patch), buildDate };
}

/** `bitbucket/`, `/bitbucket/` and `/bitbucket` all mean `/bitbucket`; `/` and '' mean none. */
export function normalizeContextPath(path: string | undefined): string {
  const trimmed = (path ?? '').replace(/\/+$/, '');
  return trimmed === '' ? '' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** A sandbox personal access token: `Authorization: Bearer <token>`, or Basic `username:token`. */
export interface DcCredential {
  token: string;
  username: string;
  userId: number;
  user: JsonObject;
  /** The `revoked` credential answers 401 everywhere. */
  revoked: boolean;
}

export function credential(render: RenderContext, label: 'admin' | 'user' | 'revoked'): DcCredential {
  const token = render.model.tokens.find((candidate) => candidate.label === label);
  if (!token) throw new Error(`no ${label} token`);
  const owner = render.model.userById(token.userId);
  return { token: token.token, username: owner.name, userId: owner.id, user: user(render, owner), revoked: token.revoked };
}

export interface SummaryInput {
  url: string;
  version: string;
  dateFormat: string;
  credentials: Record<string, { token: string; username: string; revoked: boolean }>;
  corrupt: { projectKey: string; repositorySlug: string; pullRequestId: number } | undefined;
  rateLimit: { capacity: number; refillPerSecond: number } | null;
}

export function summarize(model: DcModel, input: SummaryInput) {
  return {
    url: input.url, rest: `${input.url}/rest/api/1.0`, version: input.version, dateFormat: input.dateFormat, rateLimit: input.rateLimit,
    projects: model.projects.map((project) => ({
      key: project.key, name: project.name, personal: project.ownerId !== undefined,
      repositories: model.repositories.filter((repo) => repo.projectKey === project.key).map((repo) => ({
        id: repo.id, slug: repo.slug, defaultBranch: repo.defaultBranch, pullRequests: repo.nextPullRequestId - 1 - repo.deletedPullRequests.size,
        ...(repo.originId === undefined ? {} : { forkOf: repo.originId }),
      })),
    })),
    users: model.users.map((user) => ({ id: user.id, name: user.name, displayName: user.displayName })),
    credentials: Object.fromEntries(Object.entries(input.credentials).map(([label, c]) => [label, { username: c.username, token: c.token, revoked: c.revoked }])),
    corrupt: input.corrupt ?? null,
  };
}
