import { CommitPage } from '../../enrich/cloud/schema';
import { COMMIT_LOOKBACK_MS, repoParams, type PhaseRunner } from './context';

// The commits feed (every branch, newest first, with parents, 100 a page), down to a week before the
// window: the graph every later phase walks instead of asking Bitbucket per pull request.
export const commitsPhase: PhaseRunner = async (pc, record) => {
  const cursor = record.cursor?.phase === 'commits' ? record.cursor : undefined;
  const page = await pc.get(cursor?.next ? { next: cursor.next } : { endpoint: 'commits', params: repoParams(pc), query: { pagelen: 100 } }, CommitPage);
  const number = cursor?.page ?? 0;
  await pc.data.putCommits(number, page.values);
  const cutoff = pc.since - COMMIT_LOOKBACK_MS;
  // Topological, not strictly by date: only a page entirely older than the cutoff ends the walk.
  const past = page.values.length > 0 && page.values.every((c) => Date.parse(c.date ?? '') < cutoff);
  const next = past ? undefined : page.next;
  return { record, ...(next ? { next, page: number + 1 } : {}) };
};
