import { z } from 'zod';
import type { BackfillRow, StatusNote, StatusView } from '../../contract/status';
import { backfillEta, budgetView } from '../backfill/eta';
import { pendingBackfills, REQUESTED_PER_TICK } from '../backfill/pending';
import { GONE_SHOWN_MS, listBackfills, type BackfillRecord } from '../backfill/state';
import { RateBudget } from '../budget/rate-budget';
import { settingsStore } from '../config/settings';
import { changesCut, changesCutMessage } from '../reconcile/changes-cut';
import { failingRepositories, loadReconcileFailing } from '../reconcile/failing';
import { reconcileFailingNote } from './reconcile-failing-note';
import { grouped } from '../words';
import { currentFailure, type FailingRecord } from '../deliver/failing';
import { outboxStore } from '../deliver/outbox';
import { recentOutcomes } from '../deliver/stats';
import { keyPart } from '../keys';
import { formatDuration } from '../metrics/render';
import type { KeyValueStore } from '../ports';
import { bitbucketAdvice } from './bitbucket-advice';
import { listCutMessage, loadCatalogOrStale, type Catalog } from './catalog';
import { CHECK_KEY, lastCheckOf } from './connection';
import type { AdminContext } from './context';
import { backfillView } from './repositories';
import { isSelectedIn, selectionState, summarize } from './selection';
import { reconcilePerHour } from '../reconcile/draw';

// The Status part: one badge an admin can trust at a glance, and the reasons behind it, each saying
// what to do.

const ReconcilePass = z.object({ finishedAt: z.number() });
const Delivered = z.object({ lastDeliveredAt: z.number() });
const DEAD_LETTER_COUNT_CAP = 100;

export async function getStatus(ctx: AdminContext): Promise<StatusView> {
  const settings = settingsStore(ctx.store, ctx.secrets);
  const now = ctx.clock.now();
  const preferences = await settings.preferences();
  const budget = new RateBudget(ctx.store, ctx.clock, { limitPerHour: async () => preferences.requestsPerHour });
  const [connection, credentials, listing, state, deliveries, dead, allBackfills, lastDelivery, reconcile, check, snapshot, failing, cut, reconcileFailures, pending] = await Promise.all([
    settings.connection(),
    settings.credentials(),
    // Bitbucket refusing the list (429, 5xx) must not take the whole status with it.
    loadCatalogOrStale(ctx),
    selectionState(settings),
    recentOutcomes(ctx.store, now),
    countDeadLetters(ctx.store),
    listBackfills(ctx.store),
    newestDelivery(ctx.store),
    ctx.store.get('reconcile:last'),
    ctx.store.get(CHECK_KEY),
    budget.snapshot(),
    currentFailure(ctx.store, now),
    changesCut(ctx.store),
    loadReconcileFailing(ctx.store),
    pendingBackfills(ctx.store),
  ]);
  const { catalog, error: listError } = listing;
  // Only what the admin forwards counts; a deleted repository is mentioned for a week, then let be.
  const backfills = allBackfills.filter((b) => isSelectedIn(state, b.repository) && !(b.state === 'gone' && now - b.updatedAt > GONE_SHOWN_MS));
  const selection = catalog && summarize(catalog, state);
  const reading = listing.loading;
  const notes: StatusNote[] = [];
  if (listError) {
    notes.push(warning(catalog
      ? `The repository list could not be read again, so the repository counts are from the last one read. ${bitbucketAdvice(listError, 'reload the page')}`
      : `The repository list could not be read, so repository counts are left out. ${bitbucketAdvice(listError, 'reload the page')}`));
  } else if (!catalog && reading) {
    notes.push(info(`The repository list is being read from Bitbucket (${reading.loaded.toLocaleString('en')}${reading.total !== undefined ? ` of ${reading.total.toLocaleString('en')}` : ''} so far): the repository counts follow once it is whole.`));
  }
  const reconciled = ReconcilePass.safeParse(reconcile);
  const lastSync = newest([
    lastDelivery === undefined ? undefined : { at: lastDelivery, source: 'delivery' as const },
    reconciled.success ? { at: reconciled.data.finishedAt, source: 'reconciliation' as const } : undefined,
  ]);
  const deadLetters = dead;
  const failedBackfills = backfills.filter((b) => b.state === 'failed').length;

  // Nothing is lost, but the requests it costs every pass would otherwise go unexplained.
  if (cut) notes.push(warning(changesCutMessage(cut)));
  if (catalog?.cut) notes.push(warning(listCutMessage(catalog.cut)));
  // A few 429s are the budget learning the hour; an hour of them means the app keeps asking too much.
  if (snapshot.limitedSince !== undefined && now - snapshot.limitedSince >= RATE_LIMITED_ATTENTION_MS) notes.push(warning(rateLimitedNote(now - snapshot.limitedSince)));
  // A pass not refreshed for three periods (or an hour) is history: the repository was deselected, or its passes wait.
  const reconcileFailing = failingRepositories(reconcileFailures, now, Math.max(3600_000, 3 * preferences.reconcileMinutes * 60_000), (uuid) => isSelectedIn(state, uuid));
  if (reconcileFailing.repositories.length) notes.push(warning(reconcileFailingNote(reconcileFailing, (uuid) => catalog?.byKey.get(keyPart(uuid))?.name ?? uuid, now)));
  const recorded = new Set(allBackfills.map((b) => keyPart(b.repository)));
  const waiting = [...pending.keys()].filter((uuid) => isSelectedIn(state, uuid) && !recorded.has(keyPart(uuid))).length;
  if (waiting) notes.push(info(waitingNote(waiting)));
  const gone = backfills.filter((b) => b.state === 'gone').map((b) => nameOf(b, catalog));
  if (gone.length) notes.push(info(goneNote(gone)));
  if (selection?.repositories === 0 && selection.mode === 'all') notes.push(info('This workspace has no repositories yet: every repository created in it is forwarded from its first event.'));
  const reasons: string[] = [];
  if (!connection?.activatedAt) reasons.push('PanDev is not connected yet: save the URL, the ingest token and the signing secret, check the connection, then activate.');
  else {
    if (connection.disabled) reasons.push(connection.disabled.reason);
    // A pause already says why nothing is sent.
    else if (failing) reasons.push(failingReason(failing, now));
    if (!credentials.token) reasons.push('No ingest token is saved: deliveries are paused until one is.');
    if (!credentials.signingSecret) reasons.push('No signing secret is saved: deliveries are paused until one is.');
    const last = lastCheckOf(check, connection.baseUrl, credentials);
    // Saved since (a URL on the same host needs no new token): deliveries go where nothing was checked.
    if (last && !last.current) reasons.push('The PanDev settings changed since the last connection check: run Check connection under Connection.');
    else if (last?.ok === false) reasons.push('The last connection check failed: see Connection.');
    // With all selected, an empty workspace's first repository is forwarded as soon as it is made.
    if (selection?.selected === 0 && !(selection.mode === 'all' && selection.repositories === 0)) reasons.push('No repository is selected: nothing is forwarded.');
    if (deadLetters.count) reasons.push(`${deadLetters.count}${deadLetters.more ? '+' : ''} ${deadLetters.count === 1 && !deadLetters.more ? 'delivery' : 'deliveries'} could not be delivered: see Dead letters, fix the cause and replay them.`);
    if (failedBackfills) reasons.push(`The backfill of ${grouped(failedBackfills)} ${failedBackfills === 1 ? 'repository' : 'repositories'} failed: see Backfill.`);
  }
  return {
    state: !connection?.activatedAt ? 'disconnected' : reasons.length ? 'needs-attention' : 'connected',
    reasons,
    ...(selection ? { selectedRepositories: selection.selected, repositories: selection.repositories } : {}),
    notes,
    ...(lastSync ? { lastSync } : {}),
    deliveries,
    deadLetters,
    refreshSeconds: allBackfills.length > MANY_BACKFILLS ? SLOW_REFRESH_SECONDS : REFRESH_SECONDS,
    backfill: backfillSummary(backfills, catalog, now, backfillEta(backfills, preferences.commitStats, budgetView(snapshot, now, 0, reconcilePerHour(selection?.selected ?? 0, preferences.reconcileMinutes)), preferences.backfillBuildStatuses, waiting)),
  };
}

/** PanDev down or failing: nothing else fails until the oldest deliveries run out of attempts. */
function failingReason(failing: FailingRecord, now: number): string {
  return `PanDev has not taken a delivery for ${formatDuration((now - failing.since) / 1000)}; the last attempt: ${failing.lastError}. The deliveries wait and are tried again with growing pauses; once their attempts run out (about 1 h 45 min after the first) they become dead letters. Check that PanDev is up and that its URL is reachable from Atlassian's cloud, then run Check connection under Connection: it sends PanDev a test delivery.`;
}

const RATE_LIMITED_ATTENTION_MS = 3600_000;

// Each status lists every backfill record, 20 per storage query (Forge's most): 5,000 records are
// 250 queries. Every 15 s, an open page would spend more of the installation's storage calls than
// the backfill it shows; a minute is still fresh for a backfill that takes days.
const REFRESH_SECONDS = 15;
const SLOW_REFRESH_SECONDS = 60;
/** Records beyond which a status takes more than 25 queries for them. */
const MANY_BACKFILLS = 500;

function waitingNote(waiting: number): string {
  const what = waiting === 1 ? '1 more selected repository is' : `${grouped(waiting)} more selected repositories are`;
  return `The backfills of ${what} still to be queued: the app queues up to ${grouped(REQUESTED_PER_TICK)} every five minutes, as Forge storage takes only so many writes a minute. Backfill counts them once queued, and its time left counts them already; nothing needs doing.`;
}

function rateLimitedNote(ms: number): string {
  return `Bitbucket has been rate-limiting the app (answering 429) for ${formatDuration(ms / 1000)}: it allows so many requests per rolling hour, and the app keeps reaching the limit. Nothing is lost, but the backfill and the reconciliation slow down to what the hour allows, and deliveries that need details from Bitbucket may wait. Scripts or other apps calling Bitbucket's API for this workspace may share the allowance: spread their work out if you can. Fewer selected repositories, or a longer reconciliation period under Advanced, make the app ask for less.`;
}

const info = (text: string): StatusNote => ({ severity: 'info', text });
const warning = (text: string): StatusNote => ({ severity: 'warning', text });

/** The name the list gives it, else the one kept when its backfill was asked for (a deleted one has left the list). */
function nameOf(record: BackfillRecord, catalog: Catalog | undefined): string {
  return catalog?.byKey.get(keyPart(record.repository))?.name ?? record.name ?? record.repository;
}

const NAMED = 5;
/** Exported for its test. */
export function goneNote(names: string[]): string {
  const listed = names.slice(0, NAMED).join(', ') + (names.length > NAMED ? ` and ${grouped(names.length - NAMED)} more` : '');
  return names.length === 1
    ? `${listed} was deleted in Bitbucket, so its backfill was skipped. Nothing needs doing.`
    : `${grouped(names.length)} repositories were deleted in Bitbucket, so their backfill was skipped: ${listed}. Nothing needs doing.`;
}

function newest<T extends { at: number }>(candidates: Array<T | undefined>): T | undefined {
  return candidates.reduce<T | undefined>((best, c) => (c && (!best || c.at > best.at) ? c : best), undefined);
}

/** Up to the cap, a page at a time: Forge's storage answers at most 20 keys per query, whatever the limit asked. */
async function countDeadLetters(store: KeyValueStore): Promise<StatusView['deadLetters']> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await outboxStore(store).listDead(cursor, DEAD_LETTER_COUNT_CAP - count);
    count += page.entries.length;
    cursor = page.cursor;
  } while (cursor && count < DEAD_LETTER_COUNT_CAP);
  return { count, more: cursor !== undefined };
}

/** The newest successful delivery, from each repository's activity record. */
async function newestDelivery(store: KeyValueStore): Promise<number | undefined> {
  let newestAt: number | undefined;
  let cursor: string | undefined;
  do {
    const page = await store.list<unknown>('activity:', { cursor, limit: 100 });
    for (const { value } of page.entries) {
      const parsed = Delivered.safeParse(value);
      if (parsed.success && (newestAt === undefined || parsed.data.lastDeliveredAt > newestAt)) newestAt = parsed.data.lastDeliveredAt;
    }
    cursor = page.cursor;
  } while (cursor);
  return newestAt;
}

/** `etaSeconds`: the whole backfill's time left (repositories share the budget, see backfill/eta.ts). */
function backfillSummary(records: BackfillRecord[], catalog: Catalog | undefined, now: number, etaSeconds: number | undefined): StatusView['backfill'] {
  // A deleted repository's backfill is neither to do nor done: it is shown, and counts nowhere.
  const shown = records.filter((r) => r.state !== 'cancelled');
  const live = shown.filter((r) => r.state !== 'gone');
  const known = live.every((r) => r.total !== undefined);
  const active: BackfillRow[] = shown
    // A finished one stays in view while it has left something out.
    .filter((r) => r.state !== 'done' || r.skippedCount > 0)
    .sort((a, b) => b.updatedAt - a.updatedAt)
    .slice(0, 20)
    .map((r) => ({ repository: r.repository, name: nameOf(r, catalog), ...backfillView(r, now) }));
  return {
    repositories: live.length,
    finished: live.filter((r) => r.state === 'done').length,
    done: live.reduce((sum, r) => sum + r.done, 0),
    ...(known && live.length ? { total: live.reduce((sum, r) => sum + (r.total ?? 0), 0) } : {}),
    ...(etaSeconds !== undefined ? { etaSeconds } : {}),
    active,
  };
}
