import { ActivityPage, type ActivityEntry } from '../../enrich/cloud/schema';
import { activityEvents } from '../../history/pull-request-events';
import { repoParams, stage, type PhaseRunner } from './context';

// The repository's activity log, newest first across pull requests, down to the window's start: every
// update, approval, change request and comment, 50 a page, without a request per pull request.
export const activityPhase: PhaseRunner = async (pc, record) => {
  const cursor = record.cursor?.phase === 'activity' ? record.cursor : undefined;
  const page = await pc.get(cursor?.next ? { next: cursor.next } : { endpoint: 'pullRequestsActivity', params: repoParams(pc), query: { pagelen: 50 } }, ActivityPage);
  const byPullRequest = new Map<number, ActivityEntry[]>();
  let older = false;
  for (const entry of page.values) {
    if (Date.parse(entryDate(entry)) < pc.since) {
      older = true;
      continue;
    }
    byPullRequest.set(entry.pull_request.id, [...(byPullRequest.get(entry.pull_request.id) ?? []), entry]);
  }
  const repository = await pc.lookups.repository(pc.workspace, pc.repository);
  for (const [id, entries] of byPullRequest) {
    const stored = await pc.data.pullRequest(id);
    // Not among the pull requests updated in the window: it changed after the list was read (the
    // reconciliation will see it) or it was deleted since.
    if (!stored) continue;
    await stage(pc, activityEvents({ workspace: pc.workspace, repository, pullRequest: stored.pullRequest, since: pc.since, origin: 'backfill' }, entries, stored.lifecycle));
  }
  // Newest first: the first entry older than the window ends the log for this backfill.
  return { record, ...(!older && page.next ? { next: page.next } : {}) };
};

export function entryDate(entry: ActivityEntry): string {
  return entry.update?.date ?? entry.approval?.date ?? entry.changes_request?.date ?? entry.comment?.created_on ?? '';
}
