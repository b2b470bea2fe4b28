import type { RetryRecord } from '../poll/state';

// A pull request Bitbucket cannot serve is set aside and read again on every pass (poll/pull-requests.ts):
// right for a blip, but while it lasts PanDev gets none of that pull request's changes, and nothing else
// fails, so without this `status` would say all is well for as long as it lasts.

/**
 * Failed reads in a row after which a skipped pull request needs a person. One or two are often a blip
 * (a proxy's 502, a Bitbucket node restarting); a third, minutes after the first (a quiet repository reads
 * its pull requests every other pass), means the pull request itself is broken and will not heal by
 * waiting. An outage of Bitbucket as a whole fails the repository's listing first, and says so itself.
 */
export const SKIPPED_READS_FOR_ATTENTION = 3;

export function needsAttention(record: RetryRecord): boolean {
  return record.failures >= SKIPPED_READS_FOR_ATTENTION;
}

/** The skip reason is Bitbucket's answer, which only says what failed: what to do is the same for any. */
export function skippedMessage(record: RetryRecord): string {
  return `pull request #${record.id} was skipped on its last ${record.failures} reads, the first at ${new Date(record.firstAt).toISOString()}: ${record.reason}. PanDev gets none of its changes until the bridge can read it (every pass tries it again by itself). Open it in Bitbucket: if it fails there too, Bitbucket's administrator can find why in Bitbucket's log (atlassian-bitbucket.log); if it opens, send this message and your Bitbucket version to PanDev support`;
}
