import { z } from 'zod';
import { Commit, leftOutAuthorAccounts, Page } from '../../enrich/cloud/schema';
import { checkedItems, named } from '../../enrich/checked-items';
import { withUnreadable } from '../retries';
import { COMMIT_LOOKBACK_MS, repoParams, type PhaseRunner } from './context';

// The commits feed (every branch, newest first, with parents, 100 a page), down to a week before the
// window: the graph every later phase walks instead of asking Bitbucket per pull request.
export const commitsPhase: PhaseRunner = async (pc, record) => {
  const cursor = record.cursor?.phase === 'commits' ? record.cursor : undefined;
  const page = await pc.get(cursor?.next ? { next: cursor.next } : { endpoint: 'commits', params: repoParams(pc), query: { pagelen: 100 } }, Page(z.unknown()));
  const { items: commits, malformed } = checkedItems(page.values, Commit, named.commit);
  // Left out of the graph alone: the walks through it stop there, the rest of the feed is read.
  const current = withUnreadable(record, 'commits', malformed, (raw) => `${named.commit(raw)} (left out of the commit graph: the pushes and pull requests it belongs to are sent without it and what lies behind it)`);
  // Kept and sent with their raw name; once the page is stored the parsed objects' note is gone.
  const leftOut = leftOutAuthorAccounts(commits);
  if (leftOut.length) pc.ctx.log.warn({ repository: pc.repository, leftOut }, `delivered without what PanDev could not read: ${leftOut.join('; ')}`);
  const number = cursor?.page ?? 0;
  await pc.data.putCommits(number, commits);
  const cutoff = pc.since - COMMIT_LOOKBACK_MS;
  // Topological, not strictly by date: only a page entirely older than the cutoff ends the walk.
  const past = commits.length > 0 && commits.every((c) => Date.parse(c.date ?? '') < cutoff);
  const next = past ? undefined : page.next;
  return { record: current, ...(next ? { next, page: number + 1 } : {}) };
};
