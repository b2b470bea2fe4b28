import type { Change, ChangeOf } from '../change/change';
import { deliveryId } from '../change/delivery-id';
import { intentsFor, reviewerKey, type DeliveryIntent, type ReviewerTimeline } from '../change/intents';
import { kvKey } from '../keys';
import { encodeBody, outboxStore, type OutboxEntry, type OutboxStore } from '../deliver/outbox';
import type { Prebuilt } from '../history/prebuilt';
import { factsStore } from '../metrics/store';
import { serializeWithinLimit } from '../payload/limit';
import { refStateStore, type RefTip } from './ref-state';
import type { ForwardContext } from './context';
import { reviewerStateStore } from './reviewer-state';

// A change enters the outbox before anything is fetched or sent: from here on, a crash, a timeout or a
// lost queue message cannot lose it (the five-minute sweep re-queues whatever stays behind).

export interface Staged {
  /** Entries this call put in the outbox, ready to be moved forward. */
  entries: OutboxEntry[];
  alreadyDelivered: number;
  /** Already in the outbox, being moved forward by whoever staged them first. */
  alreadyQueued: number;
  /** Dead letters already: they wait for an admin's replay, not for another source to send them again. */
  alreadyDead: number;
  skipped: number;
}

export async function stageChange(change: Change, ctx: ForwardContext): Promise<Staged> {
  // A push's ref tip, read once for both questions asked of it before anything is written.
  const tip = change.kind === 'push' ? await refStateStore(ctx.store).get(change.repository.uuid, change.ref.type, change.ref.name) : undefined;
  if (change.kind === 'push' && coveredPush(change, tip, ctx)) return { entries: [], alreadyDelivered: 1, alreadyQueued: 0, alreadyDead: 0, skipped: 0 };
  if (await isOwnComment(change, ctx)) return { entries: [], alreadyDelivered: 0, alreadyQueued: 0, alreadyDead: 0, skipped: 1 };
  const outbox = outboxStore(ctx.store);
  const reviewers = reviewerStateStore(ctx.store);
  const now = ctx.clock.now();
  const prior = new Map<string, ReviewerTimeline | undefined>();
  if (change.kind === 'reviewer') {
    for (const reviewer of change.reviewers) {
      const { key, former } = reviewerKey(reviewer.user);
      prior.set(key, await reviewers.get(change.repository.uuid, change.pullRequestId, key, former));
    }
  }
  const planned = intentsFor(change, (who) => prior.get(who));
  const skipped = planned.skipped;
  const intents: Occurrence[] = change.kind === 'push' ? await Promise.all(planned.intents.map((intent) => pushOccurrence(change, intent, outbox, ctx, { tip }))) : planned.intents.map((intent) => ({ intent }));
  for (const skip of skipped) {
    ctx.log.info({ reason: skip.reason, detail: skip.detail, repository: change.repository.uuid }, 'reviewer change dropped on purpose');
    ctx.stats.count('dropped', skip.reason);
    await outbox.recordDrop({ at: now, reason: skip.reason, detail: skip.detail, repository: change.repository.uuid }, `${change.kind}-${now}-${Math.random().toString(36).slice(2, 8)}`);
  }
  const staged: Staged = { entries: [], alreadyDelivered: 0, alreadyQueued: 0, alreadyDead: 0, skipped: skipped.length };
  for (const occurrence of intents) {
    const { intent } = occurrence;
    const known = await knownOccurrence(outbox, occurrence);
    if (known) {
      staged[known]++;
      continue;
    }
    const entry = newEntry(change, intent, now);
    await outbox.put(entry);
    staged.entries.push(entry);
  }
  // Recorded only once the deliveries it decided are safely in the outbox.
  await recordState(change, ctx, now);
  return staged;
}

/**
 * Stages deliveries whose bodies a source built already (backfill, reconciliation). Like stageChange,
 * it skips what the ledger holds and keeps entries already under way.
 */
export async function stagePrebuilt(items: Prebuilt[], ctx: ForwardContext): Promise<Staged> {
  const outbox = outboxStore(ctx.store);
  const now = ctx.clock.now();
  const staged: Staged = { entries: [], alreadyDelivered: 0, alreadyQueued: 0, alreadyDead: 0, skipped: 0 };
  for (const item of items) {
    if (await isOwnComment(item.change, ctx)) {
      staged.skipped++;
      continue;
    }
    const occurrence: Occurrence = item.change.kind === 'push' ? await pushOccurrence(item.change, item.intent, outbox, ctx) : { intent: item.intent };
    const { intent } = occurrence;
    const known = await knownOccurrence(outbox, occurrence);
    if (known) {
      staged[known]++;
      // This very push, staged by a consumer stopped before it recorded the ref's tip (pushOccurrence):
      // the tip is recorded now, or the ref's next live push, not starting where the tip stood, is
      // taken for a gap and the next pass sends the commits of this one again.
      if (occurrence.known && occurrence.known !== 'new') await recordState(item.change, ctx, now);
      continue;
    }
    const entry = { ...newEntry(item.change, intent, now), body: encodeBody(serializeWithinLimit(item.body)) };
    await outbox.put(entry);
    staged.entries.push(entry);
    await recordState(item.change, ctx, now);
  }
  return staged;
}

/** An intent to stage; `known`: what pushOccurrence already read of its id in the outbox, ledger and dead letters. */
interface Occurrence {
  intent: DeliveryIntent;
  known?: 'alreadyQueued' | 'alreadyDelivered' | 'alreadyDead' | 'new';
}

/**
 * Found twice (a re-fired event, the reconciliation, the backfill) while the first is under way: that
 * one keeps it (its retries, or the sweep); staging it again would only send it twice. Found again
 * after it became a dead letter, it stays one: staged afresh, it was sent to PanDev a second time under
 * the same X-Request-UUID, buried a second time (counted twice in the day's dead), and its letter
 * overwritten by the later burial; only an admin's replay sends a dead letter again. The outbox is read
 * before the ledger and the dead letters: a delivery records its ending there before leaving the
 * outbox, so one that ends between the reads is still seen.
 */
export async function alreadyKnown(outbox: OutboxStore, id: string): Promise<'alreadyQueued' | 'alreadyDelivered' | 'alreadyDead' | undefined> {
  if (await outbox.get(id)) return 'alreadyQueued';
  if (await outbox.isDelivered(id)) return 'alreadyDelivered';
  if (await outbox.isDead(id)) return 'alreadyDead';
  return undefined;
}

/**
 * alreadyKnown of an occurrence: what pushOccurrence read of it already, else asked, under the intent's
 * former id too (a reviewer's, see DeliveryIntent).
 */
async function knownOccurrence(outbox: OutboxStore, { intent, known }: Occurrence): Promise<Awaited<ReturnType<typeof alreadyKnown>>> {
  if (known === 'new') return undefined;
  if (known) return known;
  return (await alreadyKnown(outbox, intent.id)) ?? (intent.formerId ? alreadyKnown(outbox, intent.formerId) : undefined);
}

/**
 * A ref can make the same move twice: a tag deleted and re-created at the same commit, a branch reset
 * and pushed again. The second is a new push and must not share the first's id (PanDev would drop it as
 * a duplicate). It is told from the first found again (a re-fired event, the reconciliation) by the
 * ref's recorded tip: back at the move's start, recorded after the first was staged. Each repeat gets
 * the next `#n` version, the same one whichever source finds it. An occurrence staged after that
 * record is this very push, wherever it is now: a consumer stopped between staging it and recording
 * the tip leaves the tip at the move's start, and the push, delivered by the sweep meanwhile, was taken
 * by the reconciliation for an earlier move and sent again under `#2`.
 */
async function pushOccurrence(change: ChangeOf<'push'>, intent: DeliveryIntent, outbox: OutboxStore, ctx: ForwardContext, read?: { tip: RefTip | undefined }): Promise<Occurrence> {
  const known = read ? read.tip : await refStateStore(ctx.store).get(change.repository.uuid, change.ref.type, change.ref.name);
  if (!known || known.tip !== change.before) return { intent };
  let candidate = intent;
  for (let occurrence = 2; ; occurrence++) {
    const queued = await outbox.get(candidate.id);
    // Staged after the ref came back to its start: this very occurrence, under way.
    if (queued && queued.createdAt >= known.at) return { intent: candidate, known: 'alreadyQueued' };
    if (!queued) {
      // A dead letter is an occurrence taken, as a delivered one is: the repeat must not share its id.
      // None of the three holds it: alreadyKnown's answer, read in its order, so staging need not ask again.
      const delivered = await outbox.delivery(candidate.id);
      const dead = delivered ? undefined : await outbox.burial(candidate.id);
      if (!delivered && !dead) return { intent: candidate, known: 'new' };
      // Records kept before they told when their entry was staged are taken, as they always were.
      const ending = (delivered ?? dead)!;
      if (ending.stagedAt !== undefined && ending.stagedAt >= known.at) return { intent: candidate, known: delivered ? 'alreadyDelivered' : 'alreadyDead' };
    }
    const version = `${intent.version}#${occurrence}`;
    candidate = { ...intent, version, id: deliveryId({ edition: change.edition, workspace: change.workspace, entity: intent.entity, eventKey: intent.eventKey, version }) };
  }
}

/**
 * What later changes are read against: reviewer statuses, and the tip of each ref delivered. Both are
 * read again here, not taken from staging's reads: the reconciliation and the backfill record them too,
 * beside the live path's serialized events, and what one recorded meanwhile must be kept (a status in
 * the timeline) or seen (a ref's tip, by the gap check below).
 */
async function recordState(change: Change, ctx: ForwardContext, now: number): Promise<void> {
  if (change.kind === 'reviewer') {
    const reviewers = reviewerStateStore(ctx.store);
    for (const reviewer of change.reviewers) {
      const { key, former } = reviewerKey(reviewer.user);
      await reviewers.record(change.repository.uuid, change.pullRequestId, key, { status: reviewer.status, at: reviewer.at }, former, reviewer.user);
    }
  }
  if (change.kind === 'push' && !change.history) {
    const refs = refStateStore(ctx.store);
    const known = await refs.get(change.repository.uuid, change.ref.type, change.ref.name);
    // A live push that does not start where the last delivered one ended means one in between was
    // never reported: the tip stays, so the reconciliation sends the whole gap.
    if (change.origin === 'trigger' && known && known.tip !== change.before) return;
    // The backfill fills in history behind what the live path or the reconciliation delivered; it
    // never moves their tip back.
    if (change.origin === 'backfill' && known && known.origin !== 'backfill' && known.origin !== 'baseline' && known.tip !== change.before) return;
    // A push that continues the run the last one ended (live, or a reconciliation's) keeps where the
    // run began, and whether history before it is still owed: a run dropped here hides that history
    // from the backfill. A reconciliation's push that left history behind it begins such a run.
    const continued = known !== undefined && known.tip === change.before && known.from !== undefined && (known.origin === 'trigger' || known.origin === 'reconcile');
    const owed = continued && known.behind === true ? { behind: true as const } : {};
    const run =
      change.origin === 'reconcile' && change.historyBehind
        ? { from: change.before, behind: true as const }
        : continued && (change.origin === 'trigger' || change.origin === 'reconcile')
          ? { from: known.from, ...owed }
          : change.origin === 'trigger'
            ? { from: change.before }
            : {};
    await refs.set(change.repository.uuid, change.ref.type, change.ref.name, { tip: change.after, at: now, origin: change.origin, ...run });
  }
}

/**
 * A live push that arrives after the reconciliation already delivered the ref up to its new tip (Forge
 * events can be late) carries nothing PanDev lacks; it is dropped on purpose, and counted.
 */
function coveredPush(change: ChangeOf<'push'>, known: RefTip | undefined, ctx: ForwardContext): boolean {
  if (change.origin !== 'trigger' || !change.after) return false;
  // A baseline was only noticed, never delivered; a trigger's own push is not a later source's.
  if (!known || known.tip !== change.after || known.origin === 'trigger' || known.origin === 'baseline') return false;
  ctx.log.info({ repository: change.repository.uuid, ref: change.ref.name, tip: change.after }, 'push already delivered by the reconciliation');
  ctx.stats.count('dropped', 'covered-by-reconciliation');
  return true;
}

/**
 * The app's own pull request comment: PanDev never got its creation or edits (self-generated, or
 * skipped by their marker), so it gets none of its events. A deleted comment has lost its text and
 * the marker with it: the id the app stored when it posted the comment is what tells. Its deletion
 * also tells the comment's keeper that someone did not want it, before an edit is refused.
 */
async function isOwnComment(change: Change, ctx: ForwardContext): Promise<boolean> {
  if (change.kind !== 'comment' || change.edition !== 'cloud') return false;
  const facts = factsStore(ctx.store);
  const ours = await facts.comment(change.repository.uuid, change.pullRequestId);
  if (ours?.commentId !== change.commentId) return false;
  if (change.action === 'deleted' && !ours.deletedOnBitbucket) await facts.putComment(change.repository.uuid, change.pullRequestId, { ...ours, deletedOnBitbucket: true });
  const detail = `comment ${change.commentId} is the app's own pull request comment`;
  ctx.log.info({ reason: 'own-comment', detail, action: change.action, repository: change.repository.uuid, pullRequest: change.pullRequestId }, 'event dropped on purpose');
  ctx.stats.count('dropped', 'own-comment');
  return true;
}

export function newEntry(change: Change, intent: DeliveryIntent, now: number): OutboxEntry {
  return {
    id: intent.id,
    eventKey: intent.eventKey,
    entity: intent.entity,
    version: intent.version,
    ...(intent.reviewer ? { reviewer: intent.reviewer } : {}),
    origin: change.origin,
    change,
    attempts: 0,
    enrichAttempts: 0,
    createdAt: now,
    nextAttemptAt: now,
  };
}

export function intentOf(entry: OutboxEntry): DeliveryIntent {
  return {
    id: entry.id,
    eventKey: entry.eventKey as DeliveryIntent['eventKey'],
    entity: entry.entity,
    version: entry.version,
    ...(entry.reviewer ? { reviewer: { ...entry.reviewer, status: entry.reviewer.status as 'approved' } } : {}),
  };
}

export const activityKey = (repositoryUuid: string) => kvKey('activity', repositoryUuid);
