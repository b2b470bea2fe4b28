import { z } from 'zod';
import { ActivityEntry, Page, PullRequest } from '../../enrich/cloud/schema';
import { BitbucketError } from '../../errors';
import { activityEvents } from '../../history/pull-request-events';
import type { BackfillRecord } from '../state';
import type { StoredPullRequest } from '../store';
import { repoParams, stage, type PhaseContext, type PhaseRunner } from './context';
import { replayLifecycle, sizeLeftOut } from './lifecycle';
import { malformedReason, withSkip, withSkipOnce } from '../retries';
import { checkedItems } from '../../enrich/checked-items';

// The repository's activity log, newest first across pull requests, down to the window's start: every
// update, approval, change request and comment, 50 a page, without a request per pull request.
export const activityPhase: PhaseRunner = async (pc, record) => {
  const cursor = record.cursor?.phase === 'activity' ? record.cursor : undefined;
  const page = await pc.get(cursor?.next ? { next: cursor.next } : { endpoint: 'pullRequestsActivity', params: repoParams(pc), query: { pagelen: 50 } }, Page(z.unknown()));
  const read = activityEntries(page.values);
  let current = record;
  // An entry in an unexpected shape failed its page, and after its retries the rest of the log was
  // left out: only it is now, named with why (once: the same page is read again after a piece that died).
  for (const { pullRequest, reason } of read.malformed) {
    const what = `an entry of ${pullRequest !== undefined ? `pull request #${pullRequest}'s` : 'the pull-request'} activity (its event was not sent)`;
    current = withSkipOnce(current, { phase: 'activity', what, reason: malformedReason(reason) });
  }
  const byPullRequest = new Map<number, ActivityEntry[]>();
  let older = false;
  for (const entry of read.entries) {
    if (Date.parse(entryDate(entry)) < pc.since) {
      older = true;
      // A comment made before the window and edited or deleted in it: that change is the window's.
      if (entryChangedAt(entry) < pc.since) continue;
    }
    byPullRequest.set(entry.pull_request.id, [...(byPullRequest.get(entry.pull_request.id) ?? []), entry]);
  }
  const repository = await pc.lookups.repository(pc.workspace, pc.repository);
  for (const [id, entries] of byPullRequest) {
    let stored = await pc.data.pullRequest(id);
    if (!stored && missedByTheList(record, entries)) {
      // Out of requests or time: this page again next piece (what it staged is not staged twice).
      if (pc.exhausted()) return { record: current, next: cursor?.next ?? '' };
      const read = await readMissed(pc, id);
      // In an unexpected shape on its own too: left out, named once (the list may have named it), and
      // the log read on; failing the page would leave out the rest of the log after its retries.
      if (read && 'malformed' in read) {
        const what = `pull request #${id} (none of its events were sent)`;
        if (!current.skipped.some((skip) => skip.what === what)) current = withSkip(current, { phase: 'activity', what, reason: malformedReason(read.malformed) });
        continue;
      }
      stored = read;
      if (stored) await pc.data.addMissed(id);
      if (stored) current = sizeLeftOut(pc, { ...current, total: (current.total ?? 0) + 1, done: current.done + 1 }, id);
    }
    // Still unknown: changed only after the list was read (the live events and the reconciliation
    // have it) or deleted since.
    if (!stored) continue;
    await stage(pc, activityEvents({ workspace: pc.workspace, repository, pullRequest: stored.pullRequest, since: pc.since, origin: 'backfill' }, entries, stored.lifecycle));
  }
  // Newest first: the first entry older than the window ends the log for this backfill.
  return { record: current, ...(!older && page.next ? { next: page.next } : {}) };
};

/** Where the entry sits in the log, newest first: a comment's stays where it was made, whatever happens to it after. */
export function entryDate(entry: ActivityEntry): string {
  return entry.update?.date ?? entry.approval?.date ?? entry.changes_request?.date ?? entry.comment?.created_on ?? '';
}

/**
 * When what the entry shows last changed: a comment edited or deleted after it was made shows that
 * through its own entry, so the change is found only by reading entries older than it.
 */
export function entryChangedAt(entry: ActivityEntry): number {
  const at = Date.parse(entryDate(entry));
  const updated = Date.parse(entry.comment?.updated_on ?? '');
  return updated > at ? updated : at;
}

/**
 * Updated in the window before the list was read, yet not in it: it was updated again while the list
 * was read, and jumped to the page already read (phases/pull-requests.ts).
 */
function missedByTheList(record: BackfillRecord, entries: ActivityEntry[]): boolean {
  return record.listedAt === undefined || entries.some((entry) => Date.parse(entryDate(entry)) < record.listedAt!);
}

/** A pull request the list missed, read on its own and put through the lifecycle phase it missed. */
async function readMissed(pc: PhaseContext, id: number): Promise<StoredPullRequest | { malformed: string } | undefined> {
  try {
    const pullRequest = await pc.get({ endpoint: 'pullRequest', params: { ...repoParams(pc), pull_request_id: id } }, PullRequest);
    pc.ctx.log.info({ repository: pc.repository, pullRequest: id }, 'pull request updated while the list was read; read on its own');
    return { pullRequest, lifecycle: await replayLifecycle(pc, pullRequest) };
  } catch (error) {
    // Deleted since: nothing left to replay (not the repository gone, which the job would conclude).
    if (error instanceof BitbucketError && error.kind === 'not-found') return undefined;
    if (error instanceof BitbucketError && error.kind === 'malformed') return { malformed: error.message };
    throw error;
  }
}

/** A page's entries, each checked on its own, and why each that would not do was left out. */
export function activityEntries(values: unknown[]): { entries: ActivityEntry[]; malformed: MalformedEntry[] } {
  const read = checkedItems(values, ActivityEntry, () => 'a pull request activity entry');
  const malformed = read.malformed.map(({ raw, reason }) => {
    const id = Named.safeParse(raw);
    return { reason, ...(id.success ? { pullRequest: id.data.pull_request.id } : {}) };
  });
  return { entries: read.items, malformed };
}

export interface MalformedEntry {
  pullRequest?: number;
  reason: string;
}

const Named = z.looseObject({ pull_request: z.looseObject({ id: z.number().int() }) });
