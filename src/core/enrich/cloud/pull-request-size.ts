import { BitbucketError } from '../../errors';
import type { CloudRequest } from './endpoints';
import { DiffstatPage } from './schema';
import type { CloudClient } from './client';

export interface PullRequestSize {
  files: number;
  lines_added: number;
  lines_removed: number;
  /** More than 500 files: the figures are a floor. */
  partial?: boolean;
}

export const QUERY = { pagelen: '500', fields: 'values.lines_added,values.lines_removed,next' };

/**
 * A pull request's size from its diffstat, in one request. Its own `links.diffstat` is the place to
 * ask: `pullrequests/{id}/diffstat` answers with a redirect to it, which would cost two requests.
 * `undefined` when the diff is gone (a deleted branch, a declined pull request long ago).
 */
export async function pullRequestSize(get: CloudClient['get'], diffstatLink: string | undefined, fallback: { workspace: string; repo_slug: string; pull_request_id: number }): Promise<PullRequestSize | undefined> {
  const request: CloudRequest = diffstatLink
    ? { next: withQuery(diffstatLink, QUERY) }
    : { endpoint: 'pullRequestDiffstat', params: fallback, query: QUERY };
  return diffstatSize(get, request);
}

/** Lines and files of a diffstat's first page (500 files); `undefined` when the diff is gone. */
export async function diffstatSize(get: CloudClient['get'], request: CloudRequest): Promise<PullRequestSize | undefined> {
  try {
    const stat = await get(request, DiffstatPage);
    const lines = stat.values.reduce<{ added: number; removed: number }>((sum, file) => ({ added: sum.added + (file.lines_added ?? 0), removed: sum.removed + (file.lines_removed ?? 0) }), { added: 0, removed: 0 });
    return { files: stat.values.length, lines_added: lines.added, lines_removed: lines.removed, ...(stat.next ? { partial: true } : {}) };
  } catch (error) {
    if (error instanceof BitbucketError && error.kind === 'not-found') return undefined;
    throw error;
  }
}

function withQuery(link: string, query: Record<string, string>): string {
  const url = new URL(link);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.toString();
}
