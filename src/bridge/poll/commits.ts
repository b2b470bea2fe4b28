import { z } from 'zod';
import { checkedItems, type Unreadable } from '../../core/enrich/checked-items';
import type { DcClient } from '../../core/enrich/datacenter/client';
import { BitbucketError } from '../../core/errors';
import { pandevCommitBytes } from '../../core/payload/datacenter';
import { OVERSIZE_COMMITS, WEBHOOK_BODY_LIMIT } from '../../core/payload/limit';
import { Commit, epochMs, FileChange, Page, type Repository } from '../../core/enrich/datacenter/schema';
import { dcNamed } from './left-out';

// The commits of one ref move (`git log to ^from`, newest first) and the files each one changed. The
// files cost a request per commit, so only the newest commits of a push get them; the rest are listed
// without, and the body says so.
// After a force push (or a branch deleted and made again) the tip delivered last may be gone from the
// repository, and Data Center answers `since=<it>` with 404 (400 in some versions): the move is then
// read from the range the caller gives for that case, and marked forced.

const MAX_COMMIT_PAGES = 10;
const COMMIT_PAGE = 100;
/** Commits per push whose changed files are read. */
export const FILES_FOR_COMMITS = 50;
const FILES_PAGE = 500;

export interface MoveCommits {
  commits: Commit[];
  truncated: boolean;
  files: Map<string, { changes: FileChange[]; truncated: boolean }>;
  /** `exclude` was no longer in the repository: the ref was rewritten, and the commits are `orphaned`'s range. */
  forced?: boolean;
  /** The newest commit listed was already older than `notBefore`: the ref's own tip is outside the window. */
  beforeWindow?: boolean;
}

export interface MoveRange {
  to: string;
  exclude?: string;
  notBefore?: number;
  /** What to read instead when `exclude` is gone from the repository. */
  orphaned?: () => Promise<Omit<MoveRange, 'to' | 'orphaned'>>;
}

/** `leaveOut` is told of commits and file changes in an unexpected shape: they are left out, the rest read (left-out.ts). */
export async function moveCommits(client: DcClient, repository: Repository, range: MoveRange, leaveOut: (malformed: Unreadable[]) => Promise<void>): Promise<MoveCommits> {
  try {
    return await readMove(client, repository, range, leaveOut);
  } catch (error) {
    if (!range.exclude || !range.orphaned || !(error instanceof BitbucketError) || (error.status !== 404 && error.status !== 400)) throw error;
    // A repository that is gone (renamed, deleted) answers this read with 404 as well, and so goes on failing.
    return { ...(await readMove(client, repository, { to: range.to, ...(await range.orphaned()) }, leaveOut)), forced: true };
  }
}

async function readMove(client: DcClient, repository: Repository, range: MoveRange, leaveOut: (malformed: Unreadable[]) => Promise<void>): Promise<MoveCommits> {
  const params = { projectKey: repository.project.key, repositorySlug: repository.slug };
  const query = { until: range.to, ...(range.exclude ? { since: range.exclude } : {}) };
  const commits: Commit[] = [];
  let truncated = false;
  let beforeWindow = false;
  let pages = 0;
  let bytes = 0;
  read: for await (const listed of client.pages({ endpoint: 'commits', params, query }, z.unknown(), { limit: COMMIT_PAGE, maxPages: MAX_COMMIT_PAGES + 1 })) {
    if (++pages > MAX_COMMIT_PAGES) {
      truncated = true;
      break;
    }
    const { items: page, malformed } = checkedItems(listed, Commit, dcNamed.commit);
    if (malformed.length) await leaveOut(malformed);
    for (const commit of page) {
      // A backfill reads a branch with no known start: it stops at the window's edge.
      if (range.notBefore !== undefined && commit.committerTimestamp !== undefined && epochMs(commit.committerTimestamp) < range.notBefore) {
        beforeWindow = commits.length === 0;
        break read;
      }
      commits.push(commit);
      bytes += pandevCommitBytes(commit);
    }
    // The body cannot hold these: it will keep only the newest OVERSIZE_COMMITS, so more pages would be read for nothing.
    if (commits.length > OVERSIZE_COMMITS && bytes > WEBHOOK_BODY_LIMIT) {
      truncated = true;
      break;
    }
  }
  const files = new Map<string, { changes: FileChange[]; truncated: boolean }>();
  for (const commit of commits.slice(0, FILES_FOR_COMMITS)) {
    const page = await client.get({ endpoint: 'commitChanges', params: { ...params, commitId: commit.id }, query: { limit: FILES_PAGE } }, Page(z.unknown()));
    const { items: changes, malformed } = checkedItems(page.values, FileChange, dcNamed.change(commit.id));
    if (malformed.length) await leaveOut(malformed);
    files.set(commit.id, { changes, truncated: !page.isLastPage });
  }
  return { commits, truncated, files, ...(beforeWindow ? { beforeWindow } : {}) };
}
