import { createHash } from 'node:crypto';
import type { Connection } from '../config/settings';
import { DEAD_TTL_SECONDS } from '../deliver/outbox';

// A pause for refused credentials ends when they change: a token saved after PanDev refused the old one
// (the app's settings, or a mounted file the bridge reads again) is tried at once instead of waiting
// for someone to think of a check. If PanDev refuses it too, the first delivery pauses again.

interface Credentials {
  token?: string;
  signingSecret?: string;
}

/**
 * Which token and secret were refused, kept with the pause. A short digest tells them apart without
 * being either (the bridge writes no secret to its database): 64 bits of a token cannot be turned back.
 */
export function credentialsDigest(credentials: Credentials): string {
  return createHash('sha256').update(JSON.stringify([credentials.token ?? '', credentials.signingSecret ?? ''])).digest('hex').slice(0, 16);
}

/** The pause that holds deliveries back now; none when it was for credentials replaced since. */
export function pauseInForce(connection: Connection | undefined, credentials: Credentials): Connection['disabled'] {
  const pause = connection?.disabled;
  if (pause?.refused !== undefined && pause.refused !== credentialsDigest(credentials)) return undefined;
  return pause;
}

/**
 * How long a pause keeps new events in the outbox. The outbox has no expiry, and an admin who stopped
 * using PanDev may leave the app installed for months: past this, the trigger leaves new events to the
 * reconciliation, which does not run while deliveries are paused and reads from where it stopped once
 * they resume (pass.ts), so the outbox holds at most this long's events, but for those below.
 */
export const PAUSE_KEEPS_EVENTS_MS = 7 * 86_400_000;

/**
 * Kept longer: what the reconciliation cannot rebuild. It reads approvals and change requests from the
 * activity log, which drops one withdrawn: left to it, a withdrawal (and the approval before it) never
 * reaches PanDev, which then holds the pull request approved. Build statuses have no feed: it reads a
 * moved branch's tip's, in their latest state, so a build's start and the builds of a commit pushed over
 * since would never reach PanDev either. Deployments it reads a page of the newest of (100): a busy
 * repository's older ones in a long pause would be lost.
 */
const NOT_REBUILT_BY_RECONCILIATION = new Set([
  'avi:bitbucket:updated:pullrequest-reviewer-status',
  'avi:bitbucket:created:build-status',
  'avi:bitbucket:updated:build-status',
  'avi:bitbucket:pending:deployment',
  'avi:bitbucket:started:deployment',
  'avi:bitbucket:completed:deployment',
]);

/**
 * …but not for ever: a workspace's CI posts build statuses all day, and an installation left paused for
 * good would grow its outbox without end. Past the dead letters' retention (90 days), the longest the app
 * keeps anything undelivered, those are left to the reconciliation too, which reads what it still can.
 */
export const PAUSE_KEEPS_ANY_EVENT_MS = DEAD_TTL_SECONDS * 1000;

/** Why the trigger leaves this event to the reconciliation (or to nothing) in a long pause; undefined while it keeps it. */
export function pausedTooLong(connection: Connection | undefined, now: number, eventType: string): string | undefined {
  const paused = connection?.disabled !== undefined ? now - connection.disabled.at : -Infinity;
  if (paused > PAUSE_KEEPS_ANY_EVENT_MS) {
    return 'deliveries have been paused for over 90 days, longer than the app keeps anything undelivered: no event is kept any longer. Once Check connection passes, the reconciliation sends what it can still read: pull requests and their reviews, branches and tags, the latest build statuses of moved branches, the newest deployments';
  }
  if (paused > PAUSE_KEEPS_EVENTS_MS && !NOT_REBUILT_BY_RECONCILIATION.has(eventType)) {
    return 'deliveries have been paused for over a week; the reconciliation reads what changed once Check connection passes';
  }
  return undefined;
}
