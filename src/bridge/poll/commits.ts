import type { DcClient } from '../../core/enrich/datacenter/client';
import { Commit, epochMs, FileChange, Page, type Repository } from '../../core/enrich/datacenter/schema';

// The commits of one ref move (`git log to ^from`, newest first) and the files each one changed. The
// files cost a request per commit, so only the newest commits of a push get them; the rest are listed
// without, and the body says so.

const MAX_COMMIT_PAGES = 10;
const COMMIT_PAGE = 100;
/** Commits per push whose changed files are read. */
export const FILES_FOR_COMMITS = 50;
const FILES_PAGE = 500;

export interface MoveCommits {
  commits: Commit[];
  truncated: boolean;
  files: Map<string, { changes: FileChange[]; truncated: boolean }>;
}

export async function moveCommits(client: DcClient, repository: Repository, range: { to: string; exclude?: string; notBefore?: number }): Promise<MoveCommits> {
  const params = { projectKey: repository.project.key, repositorySlug: repository.slug };
  const query = { until: range.to, ...(range.exclude ? { since: range.exclude } : {}) };
  const commits: Commit[] = [];
  let truncated = false;
  let pages = 0;
  read: for await (const page of client.pages({ endpoint: 'commits', params, query }, Commit, { limit: COMMIT_PAGE, maxPages: MAX_COMMIT_PAGES + 1 })) {
    if (++pages > MAX_COMMIT_PAGES) {
      truncated = true;
      break;
    }
    for (const commit of page) {
      // A backfill reads a branch with no known start: it stops at the window's edge.
      if (range.notBefore !== undefined && commit.committerTimestamp !== undefined && epochMs(commit.committerTimestamp) < range.notBefore) break read;
      commits.push(commit);
    }
  }
  const files = new Map<string, { changes: FileChange[]; truncated: boolean }>();
  for (const commit of commits.slice(0, FILES_FOR_COMMITS)) {
    const page = await client.get({ endpoint: 'commitChanges', params: { ...params, commitId: commit.id }, query: { limit: FILES_PAGE } }, Page(FileChange));
    files.set(commit.id, { changes: page.values, truncated: !page.isLastPage });
  }
  return { commits, truncated, files };
}
