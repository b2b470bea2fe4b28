import { PullRequestPage, type PullRequest } from '../../enrich/cloud/schema';
import type { MergedPullRequest } from '../../history/graph';
import { repoParams, type PhaseRunner } from './context';

// Every pull request updated in the window, in every state, 50 a page, with the fields the native
// payloads carry (the list leaves participants, reviewers and rendered text out unless asked).
export const FULL_PULL_REQUEST_FIELDS = '+values.participants,+values.reviewers,+values.rendered,+values.summary';

/** A merged pull request's merge and source commits, which the lifecycle's walks leave out once merged (graph.ts). */
function mergedPullRequest(pr: PullRequest): MergedPullRequest[] {
  const merge = (pr.merge_commit as { hash?: string } | null | undefined)?.hash;
  const source = pr.source.commit?.hash;
  return pr.state === 'MERGED' && merge && source ? [{ merge, source }] : [];
}

export const pullRequestsPhase: PhaseRunner = async (pc, record) => {
  const cursor = record.cursor?.phase === 'pullrequests' ? record.cursor : undefined;
  // Set when the list's first page is read (the phase's cursor exists from its start, without `next`).
  const listedAt = cursor?.next ? record.listedAt : pc.ctx.clock.now();
  const request = cursor?.next
    ? { next: cursor.next }
    : {
        endpoint: 'pullRequests' as const,
        params: repoParams(pc),
        query: { state: ['OPEN', 'MERGED', 'DECLINED', 'SUPERSEDED'], q: `updated_on >= ${new Date(pc.since).toISOString()}`, sort: '-updated_on', pagelen: 50, fields: FULL_PULL_REQUEST_FIELDS },
      };
  const page = await pc.get(request, PullRequestPage);
  const number = cursor?.page ?? 0;
  // A pull request updated while the list is read jumps to its first page, already read, and the
  // ones it passed move down a place: the next page repeats one an earlier page listed (counted
  // once), and the one that jumped is missing (the activity phase reads it on its own). The same
  // page read again, after a piece died, lists its own again.
  const fresh: number[] = [];
  for (const pullRequest of page.values) {
    const known = await pc.data.pullRequest(pullRequest.id);
    if (known && known.listedOn !== number) continue;
    await pc.data.putPullRequest({ pullRequest, lifecycle: { commits: { commits: [], firstCommitAt: null } }, listedOn: number });
    fresh.push(pullRequest.id);
  }
  await pc.data.putIds(number, fresh);
  await pc.data.putMerged(number, page.values.flatMap(mergedPullRequest));
  const total = (record.total ?? 0) + fresh.length;
  return { record: { ...record, total, ...(listedAt !== undefined ? { listedAt } : {}) }, ...(page.next ? { next: page.next, page: number + 1 } : {}) };
};
