// Data Center times are epoch milliseconds. How they are printed depends on the version being
// simulated: 9.x prints numbers everywhere; DC 10.3+ prints pull request dates as ISO strings to the
// second with a `+0000` zone (go-scm's `*_iso_dates.json`), and DC 10 prints commit timestamps as ISO
// strings with milliseconds and `Z` (Jenkins' `pushPayload_v10.json`, go-scm's `fnb_push_update.json`).
// The simulator applies the chosen format to REST answers and webhooks alike.

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export type DateFormat = '9.x' | '10.x';

/** `2018-07-05T19:21:30+0000`: the webhook `date` field in every version, and 10.x pull request dates. */
export function isoOffset(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}+0000`;
}

/** Pull request, activity, comment and build status dates. */
export function entityDate(format: DateFormat, ms: number): number | string {
  return format === '9.x' ? ms : isoOffset(ms);
}

/** Commit author and committer timestamps (git keeps whole seconds). */
export function commitDate(format: DateFormat, ms: number): number | string {
  return format === '9.x' ? ms : new Date(ms).toISOString();
}

/** Git timestamps have no milliseconds. */
export const wholeSeconds = (ms: number): number => Math.floor(ms / SECOND) * SECOND;
