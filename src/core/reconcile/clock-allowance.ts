import { createHash } from 'node:crypto';
import type { ActivityEntry, Deployment } from '../enrich/cloud/schema';
import { entryChangedAt, entryDate } from '../backfill/phases/activity';
import { deploymentUpdatedAt } from '../history/deployment-events';

// A watermark is the start of a pass by the app's clock; Bitbucket dates what it reports by its own, and
// an entry may become visible a moment after the time it carries (replication). Either way, something
// made just after a pass read a repository can be dated before that pass started: compared with the
// watermark alone, every later pass would take it as old, and with its product event lost PanDev would
// never get it. So each pass reads back a little further than its watermark and takes from that overlap
// only what the pass before did not see. Delivery ids are stable, so what is taken twice is still sent
// once; keeping what was seen is what keeps a quiet repository at one request a pass.

/** How far behind the watermark Bitbucket's dates may lag: clock skew and replication are seconds, not minutes. */
export const CLOCK_ALLOWANCE_MS = 2 * 60_000;

/** What identifies one activity entry in the state it was read in (an edit or a deletion is a new one). */
export function entryKey(entry: ActivityEntry): string {
  const review = entry.approval ?? entry.changes_request;
  const who = review ? `${entry.approval ? 'approval' : 'changes'}:${review.user.uuid ?? review.user.account_id ?? ''}` : '';
  const comment = entry.comment ? `comment:${entry.comment.id}:${entry.comment.updated_on ?? ''}:${entry.comment.deleted === true}` : '';
  const update = entry.update ? `update:${entry.update.state}` : '';
  return shortKey([entry.pull_request.id, entryDate(entry), update, who, comment]);
}

/** What identifies one deployment in the state it was read in: each step it takes is a new one. */
export function deploymentKey(deployment: Deployment): string {
  const state = deployment.state as { name?: string } | undefined;
  return shortKey([deployment.uuid, state?.name ?? '', deploymentUpdatedAt(deployment)]);
}

/** Whether an item a pass read is news: after the watermark, or in the overlap yet unseen by the pass before. */
export function isNewsAt(at: number, key: string, watermark: number, seen: ReadonlySet<string>): boolean {
  return at >= watermark || (at >= watermark - CLOCK_ALLOWANCE_MS && !seen.has(key));
}

/** Whether an activity entry the log's top read is news (the top reads no further than the overlap). */
export function isNews(entry: ActivityEntry, watermark: number, seen: ReadonlySet<string>): boolean {
  return isNewsAt(entryChangedAt(entry), entryKey(entry), watermark, seen);
}

/** The keys the next pass needs: items dated in or after its overlap. */
export function overlapKeysOf<T>(items: T[], nextWatermark: number, dated: (item: T) => number, key: (item: T) => string): string[] {
  return items.filter((item) => dated(item) >= nextWatermark - CLOCK_ALLOWANCE_MS).map(key);
}

/** The keys of activity entries the next pass needs. */
export function overlapKeys(entries: ActivityEntry[], nextWatermark: number): string[] {
  return overlapKeysOf(entries, nextWatermark, entryChangedAt, entryKey);
}

// Short: a pass reads at most a thousand activity entries or a thousand deployments, and the keys of
// those in the next overlap are kept in the repository's state.
function shortKey(parts: Array<string | number>): string {
  return createHash('sha1').update(parts.join('\n')).digest('base64url').slice(0, 16);
}
