import { z } from 'zod';
import { CommitStatus, Page } from '../../enrich/cloud/schema';
import { checkedItems, named } from '../../enrich/checked-items';
import { buildStatusEvents } from '../../history/status-events';
import { withSkip, withUnreadable } from '../retries';
import { graphOf, repoParams, stage, type PhaseContext, type PhaseRunner } from './context';

// Build statuses have no repository-wide feed on Bitbucket Cloud: each commit's statuses cost a
// request. When the admin turns this on, the head commit of every pull request in the window is read:
// the list's pages in turn, then the pull requests the list missed (phases/activity.ts).

/** The cursor's page for the pull requests the list missed, after the list's own pages. */
const MISSED = -1;

export const statusesPhase: PhaseRunner = async (pc, record) => {
  if (!pc.preferences.backfillBuildStatuses) return { record };
  const cursor = record.cursor?.phase === 'statuses' ? record.cursor : undefined;
  const page = cursor?.page ?? 0;
  const index = Number(cursor?.next ?? 0);
  const ids = await idsOn(pc, page);
  if (!ids || index >= ids.length) {
    if (page === MISSED) return { record };
    if (ids !== undefined && (await pc.data.ids(page + 1)) !== undefined) return { record, next: '0', page: page + 1 };
    return (await pc.data.missed()).length ? { record, next: '0', page: MISSED } : { record };
  }
  // Its statuses failed to come too often: this pull request's are left out (retries.ts).
  if (pc.leavingOut) return { record: withSkip(record, { phase: 'statuses', what: `the build statuses of pull request #${ids[index]!}` }), next: String(index + 1), page };
  const stored = await pc.data.pullRequest(ids[index]!);
  const head = stored?.pullRequest.source.commit?.hash;
  const commit = head ? (await graphOf(pc)).get(head) : undefined;
  if (!commit) return { record, next: String(index + 1), page };
  const answer = await pc.get({ endpoint: 'commitStatuses', params: { ...repoParams(pc), commit: commit.hash }, query: { pagelen: 100 } }, Page(z.unknown()));
  const { items: statuses, malformed } = checkedItems(answer.values, CommitStatus, named.status(commit.hash));
  const repository = await pc.lookups.repository(pc.workspace, pc.repository);
  await stage(pc, statuses.filter((s) => Date.parse(s.updated_on ?? '') >= pc.since).flatMap((status) => buildStatusEvents(pc.workspace, repository, commit, status, 'backfill')));
  const current = withUnreadable(record, 'statuses', malformed, (raw) => `${named.status(commit.hash)(raw)} (its event was not sent)`);
  return { record: current, next: String(index + 1), page };
};

function idsOn(pc: PhaseContext, page: number): Promise<number[] | undefined> {
  return page === MISSED ? pc.data.missed() : pc.data.ids(page);
}
