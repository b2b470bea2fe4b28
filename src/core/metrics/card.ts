import type { CardAnswer } from '../../contract/card';
import { getBackfill } from '../backfill/state';
import { settingsStore } from '../config/settings';
import { calendarDay, plural } from '../words';
import type { ForwardContext } from '../pipeline/context';
import type { PullRequestFacts } from './facts';
import { figuresFor } from './compute';
import { SETTINGS_PAGE as SETTINGS, SIZE_NOT_READ } from './pull-request';
import { cardModel } from './render';
import { factsStore } from './store';

// The pull request card's figures, live: from the stored facts only, so opening a pull request page
// never spends a Bitbucket request. Open pull requests show coding and pickup time so far.

const WHAT_BRINGS_IT_IN = 'Its figures appear here once something happens on it: a review, a comment or a push.';

export async function pullRequestCard(repository: string, id: number, ctx: Pick<ForwardContext, 'store' | 'secrets' | 'clock'>): Promise<CardAnswer> {
  const facts = factsStore(ctx.store);
  const pr = await facts.pullRequest(repository, id);
  if (!pr) return { available: false, reason: await whyUnseen(repository, ctx) };
  const figures = await figuresFor(facts, pr, ctx.clock.now(), pr.state === 'OPEN');
  const unread = pr.size || pr.sizeUnavailable ? undefined : await whySizeUnread(pr, ctx);
  return { available: true, card: cardModel(unread ? { ...figures.pr, size: { unavailable: unread } } : figures.pr, figures.repo) };
}

/**
 * A size is read once, at the merge (or by the backfill), and never with file stats off: "not known
 * yet" would leave a developer waiting for what will not come, or not until the merge. Undefined
 * when it is simply not read yet.
 */
async function whySizeUnread(pr: PullRequestFacts, ctx: Pick<ForwardContext, 'store' | 'secrets'>): Promise<string | undefined> {
  if ((await settingsStore(ctx.store, ctx.secrets).preferences()).commitStats === 'off') {
    return SIZE_NOT_READ;
  }
  if (pr.state === 'OPEN') return 'read when it is merged';
  // Merged, its size is on its way (the merge's own work reads it); closed otherwise, nothing reads it.
  return pr.state === 'MERGED' ? undefined : 'not read for a pull request closed without merging';
}

/** Asked only when there are no figures: a workspace that never connected the app, or left this repository out, would otherwise read "too old". */
async function whyUnseen(repository: string, ctx: Pick<ForwardContext, 'store' | 'secrets'>): Promise<string> {
  const settings = settingsStore(ctx.store, ctx.secrets);
  if ((await settings.connection())?.activatedAt === undefined) return `PanDev Metrics is not connected in this workspace yet: a workspace admin can connect it under ${SETTINGS}.`;
  if (!(await settings.isSelected(repository))) return `This repository is not selected in PanDev Metrics, so the app does not follow its pull requests: a workspace admin can select it under ${SETTINGS} (Repositories).`;
  // Right after Activate every earlier pull request is unseen until the backfill replays it: it is not too old.
  const backfill = await getBackfill(ctx.store, repository);
  if (backfill?.state === 'queued' || backfill?.state === 'running') {
    const progress = backfill.total === undefined ? '' : ` (${backfill.done} of ${plural(backfill.total, 'pull request')} so far)`;
    return `PanDev Metrics is still reading this repository's pull requests from the last ${plural(backfill.windowDays, 'day')}${progress}: this one's figures appear when it gets to it. Reload the page later.`;
  }
  // Bitbucket refused the history (the app lost access, say): nothing says this one is old, and only
  // an admin can see the reason and act on it.
  if (backfill?.state === 'failed') {
    return `PanDev Metrics has no figures for this pull request: the app could not read this repository's history. A workspace admin sees why under ${SETTINGS} (the repository's Backfill column).`;
  }
  // The backfill read every pull request updated since `since`: one it never recorded was last updated
  // before, and only something new on it (which the app follows live) brings it in.
  if (backfill?.state === 'done') {
    return `PanDev Metrics has no figures for this pull request: it was last updated before ${calendarDay(backfill.since)}, and when the app began following this repository it read only the ${plural(backfill.windowDays, 'day')} of history from that day on. ${WHAT_BRINGS_IT_IN}`;
  }
  // No history read to the end (none asked for, or stopped when the repository was deselected for a
  // while): all that is known is that nothing has happened on it since.
  return `PanDev Metrics has not seen this pull request yet: nothing has happened on it since the app began following this repository. ${WHAT_BRINGS_IT_IN}`;
}
