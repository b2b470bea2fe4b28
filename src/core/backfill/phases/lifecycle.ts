import { pullRequestSize } from '../../enrich/cloud/pull-request-size';
import type { PullRequest } from '../../enrich/cloud/schema';
import { lifecycleEvents, type Lifecycle } from '../../history/pull-request-events';
import { withSkip } from '../retries';
import type { BackfillRecord } from '../state';
import { graphOf, mergedOf, repoParams, stage, type PhaseContext, type PhaseRunner } from './context';

// Each pull request in turn: its commits (a walk of the stored graph), its size (its diffstat, the
// one per-pull-request request, when file stats are on), and its created event. The rest of its
// history (updates, reviews, comments, merge or decline) comes from the activity log.
export const lifecyclePhase: PhaseRunner = async (pc, record) => {
  const cursor = record.cursor?.phase === 'lifecycle' ? record.cursor : undefined;
  const page = cursor?.page ?? 0;
  const index = Number(cursor?.next ?? 0);
  const ids = await pc.data.ids(page);
  if (!ids || index >= ids.length) {
    const more = ids !== undefined && (await pc.data.ids(page + 1)) !== undefined;
    return more ? { record, next: '0', page: page + 1 } : { record };
  }
  const stored = await pc.data.pullRequest(ids[index]!);
  const done = { ...record, done: record.done + 1 };
  if (!stored) return { record: done, next: String(index + 1), page };
  await replayLifecycle(pc, stored.pullRequest);
  return { record: sizeLeftOut(pc, done, stored.pullRequest.id), next: String(index + 1), page };
};

/** Even without its size, the pull request kept failing: it is left out, and the next one goes on (retries.ts). */
export const skipPullRequest: PhaseRunner = async (pc, record) => {
  const cursor = record.cursor?.phase === 'lifecycle' ? record.cursor : undefined;
  const page = cursor?.page ?? 0;
  const index = Number(cursor?.next ?? 0);
  const id = (await pc.data.ids(page))?.[index];
  return { record: withSkip({ ...record, done: record.done + 1 }, { phase: 'lifecycle', what: `pull request #${id ?? '?'} (none of its events were sent)` }), next: String(index + 1), page };
};

/** The record, noting the pull request's size when the step had to leave it out (retries.ts). */
export function sizeLeftOut(pc: PhaseContext, record: BackfillRecord, id: number): BackfillRecord {
  if (!pc.leavingOut || pc.preferences.commitStats === 'off') return record;
  return withSkip(record, { phase: 'lifecycle', what: `the size of pull request #${id} (its events went without it)` });
}

/** One pull request's commits, size and created event, kept for the phases after this one. */
export async function replayLifecycle(pc: PhaseContext, pr: PullRequest): Promise<Lifecycle> {
  const graph = await graphOf(pc);
  const mergeCommit = (pr.merge_commit as { hash?: string } | null | undefined)?.hash;
  const merged = mergeCommit ? graph.get(mergeCommit) : undefined;
  const source = pr.source.commit?.hash;
  // A merged pull request's destination is the merge commit's first parent: what it merged into. The
  // pull requests squash-merged into it before this one brought their branches' commits along.
  // Fast-forwarded, the merge commit is the source's head itself, whose first parent is the branch's
  // own: the destination as it stood then is what it merged into.
  const fastForwarded = merged !== undefined && source !== undefined && merged.hash === graph.get(source)?.hash;
  const destination = (fastForwarded ? undefined : merged?.parents?.[0]?.hash) ?? pr.destination.commit?.hash;
  const lifecycle: Lifecycle = {
    commits: graph.pullRequestCommits(source, destination, await mergedOf(pc)),
    ...(pc.preferences.commitStats !== 'off' && !pc.leavingOut ? await size(pc, pr) : {}),
  };
  // Its events say so too (first_commit_unavailable): here, once, for the admin reading the logs.
  if (lifecycle.commits.incomplete === 'undated') pc.ctx.log.warn({ repository: pc.repository, pullRequest: pr.id, commits: lifecycle.commits.commits.length }, 'first commit time unknown: Bitbucket gave none of the pull request\'s commits a date, so its lead time is not measured');
  // Staged before it is kept: the activity phase reads a pull request the list missed only while none
  // is kept, so a piece stopped between the two left its created event unstaged for good.
  await stage(pc, lifecycleEvents({ workspace: pc.workspace, repository: await pc.lookups.repository(pc.workspace, pc.repository), pullRequest: pr, since: pc.since, origin: 'backfill' }, lifecycle));
  await pc.data.putPullRequest({ pullRequest: pr, lifecycle });
  return lifecycle;
}

async function size(pc: PhaseContext, pr: PullRequest): Promise<Pick<Lifecycle, 'size'>> {
  const link = (pr.links as { diffstat?: { href?: string } } | undefined)?.diffstat?.href;
  const found = await pullRequestSize(pc.get, link, { ...repoParams(pc), pull_request_id: pr.id });
  return found ? { size: found } : {};
}
