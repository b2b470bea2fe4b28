import { z } from 'zod';
import { Page, PullRequest } from '../../enrich/cloud/schema';
import { BitbucketError } from '../../errors';
import type { MergedPullRequest } from '../../history/graph';
import { firstIssue } from '../../enrich/answer';
import { malformedReason, withSkip } from '../retries';
import { repoParams, type PhaseContext, type PhaseRunner } from './context';

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
  const page = await pc.get(request, Page(z.unknown()));
  const number = cursor?.page ?? 0;
  let current = record;
  // Each listed pull request is checked on its own: one in an unexpected shape failed the page, and
  // after its retries the backfill left out the rest of the list. It is read on its own instead.
  const listed: PullRequest[] = [];
  for (const raw of page.values) {
    const parsed = PullRequest.safeParse(raw);
    const read = parsed.success ? { pullRequest: parsed.data } : await readAlone(pc, raw);
    // Named once: the same page is read again after a piece that died.
    if ('skip' in read) current = current.skipped.some((skip) => skip.what === read.skip.what) ? current : withSkip(current, read.skip);
    else if ('pullRequest' in read) listed.push(read.pullRequest);
  }
  // A pull request updated while the list is read jumps to its first page, already read, and the
  // ones it passed move down a place: the next page repeats one an earlier page listed (counted
  // once), and the one that jumped is missing (the activity phase reads it on its own). The same
  // page read again, after a piece died, lists its own again.
  const fresh: number[] = [];
  for (const pullRequest of listed) {
    const known = await pc.data.pullRequest(pullRequest.id);
    if (known && known.listedOn !== number) continue;
    await pc.data.putPullRequest({ pullRequest, lifecycle: { commits: { commits: [], firstCommitAt: null } }, listedOn: number });
    fresh.push(pullRequest.id);
  }
  await pc.data.putIds(number, fresh);
  await pc.data.putMerged(number, listed.flatMap(mergedPullRequest));
  const total = (current.total ?? 0) + fresh.length;
  return { record: { ...current, total, ...(listedAt !== undefined ? { listedAt } : {}) }, ...(page.next ? { next: page.next, page: number + 1 } : {}) };
};

const Listed = z.looseObject({ id: z.number().int() });
/** A listed pull request in an unexpected shape, read on its own; deleted since, nothing; malformed there too, a skip with why. */
async function readAlone(pc: PhaseContext, raw: unknown): Promise<{ pullRequest: PullRequest } | { skip: Parameters<typeof withSkip>[1] } | { gone: true }> {
  const id = Listed.safeParse(raw);
  const what = (n: number | string) => `pull request #${n} (none of its events were sent)`;
  if (!id.success) return { skip: { phase: 'pullrequests', what: what('?'), reason: malformedReason(`Bitbucket listed a pull request without a numeric id (${firstIssue(raw, id.error)})`) } };
  try {
    return { pullRequest: await pc.get({ endpoint: 'pullRequest', params: { ...repoParams(pc), pull_request_id: String(id.data.id) } }, PullRequest) };
  } catch (error) {
    if (error instanceof BitbucketError && error.kind === 'not-found') return { gone: true };
    if (error instanceof BitbucketError && error.kind === 'malformed') return { skip: { phase: 'pullrequests', what: what(id.data.id), reason: malformedReason(error.message) } };
    throw error;
  }
}
