import type { BitbucketError } from '../errors';
import type { Unreadable } from '../enrich/checked-items';
import type { BackfillRecord, Skip } from './state';

// One bad pull request must not stop its repository's backfill (DESIGN.md, reliability model), nor
// spend its budget asking for the same thing every half minute. A step that keeps failing at one
// place is tried later and later; after a few tries the piece leaves out what it can do without (a
// pull request's size, one pull request's build statuses) and sends the rest; if the step still
// fails, that pull request or the rest of that feed is left out. Each skip is kept on the record and shown with its progress.

/** Tries at one place before leaving something out: a malformed or refused answer is unlikely to mend itself. */
const TRIES: Partial<Record<BitbucketError['kind'], number>> = { malformed: 3, client: 1 };
const TRIES_OTHERWISE = 6;
/**
 * Places of one phase left out one after the other: what fails is the endpoint (every pull request's
 * diffstat, say), not one pull request, and each further one gets a single try rather than a quarter
 * of an hour of them.
 */
const IN_A_ROW = 2;
/** Waits between tries double from half a minute, up to the queue's longest delay. */
const FIRST_WAIT_SECONDS = 30;
const LONGEST_WAIT_SECONDS = 900;
/** Skips kept on the record (it must stay small); the count goes on. */
const SKIPS_KEPT = 20;

export type Mode = 'as-usual' | 'leave-out' | 'skip-feed';

/**
 * What to do about a skip for an answer the app cannot read, as a dead letter for one says: only
 * Bitbucket can mend it, and a finished backfill is not run again by itself to pick the item up.
 */
const MALFORMED_ADVICE = 'The backfill does not read it again: if Bitbucket keeps answering so, report it (this reason) to Atlassian support; what changes from now on is sent as it happens';

/** A skip's reason for an answer Bitbucket gave in a form the app cannot read, with what to do about it. */
export function malformedReason(reason: string): string {
  return `${reason}. ${MALFORMED_ADVICE}`;
}

function placeOf(cursor: BackfillRecord['cursor']): string {
  return JSON.stringify([cursor?.phase ?? '', cursor?.page ?? 0, cursor?.next ?? '']);
}

/** What failed at a place: a Bitbucket answer, or a fault of ours or the platform's told as one. */
export type StepFailure = Pick<BitbucketError, 'kind' | 'message'> & { retryAfterSeconds?: number | undefined };

/** The record after a failed try at its place, and how long to wait before the next try. */
export function failedTry(record: BackfillRecord, error: StepFailure): { record: BackfillRecord; delaySeconds: number } {
  const at = placeOf(record.cursor);
  const count = record.retries?.at === at ? record.retries.count + 1 : 1;
  const allowed = record.leftOutInARow >= IN_A_ROW ? 1 : (TRIES[error.kind] ?? TRIES_OTHERWISE);
  // Another kind of error at the same place never skips the leave-out try: five 500s and then one
  // malformed answer (three allowed) must still leave out only what it can, not the rest of the feed.
  const tries = record.retries?.at === at ? Math.max(allowed, Math.min(count, record.retries.tries)) : allowed;
  // Out of tries: the next piece leaves something out, and need not wait for that.
  const backoff = count >= tries ? 1 : Math.min(LONGEST_WAIT_SECONDS, FIRST_WAIT_SECONDS * 2 ** (count - 1));
  const reason = error.kind === 'malformed' ? malformedReason(error.message) : error.message;
  return { record: { ...record, retries: { at, count, tries, error: reason } }, delaySeconds: Math.max(backoff, error.retryAfterSeconds ?? 0) };
}

/** How the next step at the record's place goes: as usual, leaving out what it can, or past the rest of the feed. */
export function modeAt(record: BackfillRecord): Mode {
  const retries = record.retries;
  if (!retries || retries.at !== placeOf(record.cursor) || retries.count < retries.tries) return 'as-usual';
  return retries.count === retries.tries ? 'leave-out' : 'skip-feed';
}

/** The record with a skip noted, its reason the error that kept coming back (or one known at once). */
export function withSkip(record: BackfillRecord, skip: Omit<Skip, 'reason'> & { reason?: string }): BackfillRecord {
  const noted: Skip = { ...skip, reason: skip.reason ?? record.retries?.error ?? 'it kept failing' };
  return { ...record, skipped: [...record.skipped, noted].slice(-SKIPS_KEPT), skippedCount: record.skippedCount + 1, ...(skip.phase === 'refs' ? { refsIncomplete: true } : {}) };
}

/**
 * The record with an item left out, unless it is named already: a step's page is read again after a
 * piece that died, and the same item must not be counted twice.
 */
export function withSkipOnce(record: BackfillRecord, skip: Skip): BackfillRecord {
  return record.skipped.some((kept) => kept.what === skip.what && kept.reason === skip.reason) ? record : withSkip(record, skip);
}

/** The record with each item of a page Bitbucket answered in an unexpected shape (checked-items.ts) left out, named once. */
export function withUnreadable(record: BackfillRecord, phase: string, malformed: Unreadable[], what: (raw: unknown) => string): BackfillRecord {
  return malformed.reduce((current, { raw, reason }) => withSkipOnce(current, { phase, what: what(raw), reason: malformedReason(reason) }), record);
}

const FEEDS: Record<string, string> = {
  commits: 'commit graph',
  pullrequests: 'pull-request list',
  lifecycle: 'pull requests',
  activity: 'pull-request activity log',
  refs: 'branches and tags',
  statuses: 'build statuses',
  deployments: 'deployments',
};

/** The record with the rest of its current feed left out. */
export function restOfFeedSkipped(record: BackfillRecord, phase: string): BackfillRecord {
  // Page -1 is the statuses phase's list of pull requests the list missed, after its own pages.
  const from = (record.cursor?.page ?? 0) > 0 ? ` from page ${record.cursor!.page! + 1}` : '';
  return withSkip(record, { phase, what: `the rest of the ${FEEDS[phase] ?? phase}${from}` });
}
