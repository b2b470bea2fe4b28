// Data Center's answer shapes: the `{errors: [...]}` body with the exception class it names, and the
// page envelope `{size, limit, isLastPage, values, start, nextPageStart?}`.
import { HttpError, type HttpResult } from './types';

export function errorBody(message: string, exceptionName: string | null = null): unknown {
  return { errors: [{ context: null, message, exceptionName }] };
}

export function fail(status: number, message: string, exceptionName: string | null = null): never {
  throw new HttpError({ status, json: errorBody(message, exceptionName) });
}

export const EXCEPTIONS = {
  project: 'com.atlassian.bitbucket.project.NoSuchProjectException',
  repository: 'com.atlassian.bitbucket.repository.NoSuchRepositoryException',
  pullRequest: 'com.atlassian.bitbucket.pull.NoSuchPullRequestException',
  commit: 'com.atlassian.bitbucket.commit.NoSuchCommitException',
  user: 'com.atlassian.bitbucket.user.NoSuchUserException',
  argument: 'com.atlassian.bitbucket.validation.ArgumentValidationException',
  badCredentials: 'com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException',
  notPermitted: 'com.atlassian.bitbucket.AuthorisationException',
  service: 'com.atlassian.bitbucket.ServiceException',
} as const;

export const DEFAULT_LIMIT = 25;
/** Data Center's own caps (`page.max.*`): 1000 for most collections, 500 for pull request activity. */
export const PAGE_CAP = { default: 1000, activities: 500 } as const;

function nonNegative(text: string | null): number | undefined {
  const value = Number(text);
  return text !== null && text !== '' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** `start` and the effective `limit` (a missing or zero limit means the default; above the cap, the cap). */
export function pageRequest(url: URL, cap: number = PAGE_CAP.default): { start: number; limit: number } {
  const start = nonNegative(url.searchParams.get('start')) ?? 0;
  const limit = Math.min(nonNegative(url.searchParams.get('limit')) || DEFAULT_LIMIT, cap);
  return { start, limit };
}

/** `size` counts this page's values, not the collection; `nextPageStart` appears only before the last page. */
export function pageEnvelope(values: unknown[], start: number, limit: number, isLastPage: boolean, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { size: values.length, limit, isLastPage, values, start, ...(isLastPage ? {} : { nextPageStart: start + values.length }), ...extra };
}

/** A page of an already materialised (cheap) list; `render` runs for this page's items only. */
export function page<T>(url: URL, items: readonly T[], render: (item: T) => unknown, cap?: number, extra?: Record<string, unknown>): HttpResult {
  const { start, limit } = pageRequest(url, cap);
  const values = items.slice(start, start + limit).map(render);
  return { status: 200, json: pageEnvelope(values, start, limit, start + limit >= items.length, extra) };
}

export const ok = (json: unknown): HttpResult => ({ status: 200, json });
