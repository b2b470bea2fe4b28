import { CommitStatusPage } from '../../enrich/cloud/schema';
import { buildStatusEvents } from '../../history/status-events';
import { withSkip } from '../retries';
import { graphOf, repoParams, stage, type PhaseRunner } from './context';

// Build statuses have no repository-wide feed on Bitbucket Cloud: each commit's statuses cost a
// request. When the admin turns this on, the head commit of every pull request in the window is read.
export const statusesPhase: PhaseRunner = async (pc, record) => {
  if (!pc.preferences.backfillBuildStatuses) return { record };
  const cursor = record.cursor?.phase === 'statuses' ? record.cursor : undefined;
  const page = cursor?.page ?? 0;
  const index = Number(cursor?.next ?? 0);
  const ids = await pc.data.ids(page);
  if (!ids || index >= ids.length) {
    const more = ids !== undefined && (await pc.data.ids(page + 1)) !== undefined;
    return more ? { record, next: '0', page: page + 1 } : { record };
  }
  // Its statuses failed to come too often: this pull request's are left out (retries.ts).
  if (pc.leavingOut) return { record: withSkip(record, { phase: 'statuses', what: `the build statuses of pull request #${ids[index]!}` }), next: String(index + 1), page };
  const stored = await pc.data.pullRequest(ids[index]!);
  const head = stored?.pullRequest.source.commit?.hash;
  const commit = head ? (await graphOf(pc)).get(head) : undefined;
  if (commit) {
    const statuses = await pc.get({ endpoint: 'commitStatuses', params: { ...repoParams(pc), commit: commit.hash }, query: { pagelen: 100 } }, CommitStatusPage);
    const repository = await pc.lookups.repository(pc.workspace, pc.repository);
    await stage(pc, statuses.values.filter((s) => Date.parse(s.updated_on ?? '') >= pc.since).flatMap((status) => buildStatusEvents(pc.workspace, repository, commit, status, 'backfill')));
  }
  return { record, next: String(index + 1), page };
};
