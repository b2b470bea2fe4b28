import type { Change, ReviewerStatus } from '../change/change';
import { intentsFor, type DeliveryIntent } from '../change/intents';
import { kvKey } from '../keys';
import { outboxStore, type OutboxEntry } from '../deliver/outbox';
import type { ForwardContext } from './context';
import { reviewerStateStore } from './reviewer-state';

// A change enters the outbox before anything is fetched or sent: from here on, a crash, a timeout or a
// lost queue message cannot lose it (the five-minute sweep re-queues whatever stays behind).

export interface Staged {
  /** Entries in the outbox, not yet delivered, ready to be moved forward. */
  entries: OutboxEntry[];
  alreadyDelivered: number;
  skipped: number;
}

export async function stageChange(change: Change, ctx: ForwardContext): Promise<Staged> {
  const outbox = outboxStore(ctx.store);
  const reviewers = reviewerStateStore(ctx.store);
  const now = ctx.clock.now();
  const prior = new Map<string, { status: ReviewerStatus } | undefined>();
  if (change.kind === 'reviewer') {
    for (const reviewer of change.reviewers) {
      const who = reviewer.user.uuid ?? reviewer.user.accountId ?? 'unknown';
      prior.set(who, await reviewers.get(change.repository.uuid, change.pullRequestId, who));
    }
  }
  const { intents, skipped } = intentsFor(change, (who) => prior.get(who)?.status);
  for (const skip of skipped) {
    ctx.log.info({ reason: skip.reason, detail: skip.detail, repository: change.repository.uuid }, 'reviewer change dropped on purpose');
    ctx.stats.count('dropped', skip.reason);
    await outbox.recordDrop({ at: now, reason: skip.reason, detail: skip.detail, repository: change.repository.uuid }, `${change.kind}-${now}-${Math.random().toString(36).slice(2, 8)}`);
  }
  const staged: Staged = { entries: [], alreadyDelivered: 0, skipped: skipped.length };
  for (const intent of intents) {
    if (await outbox.isDelivered(intent.id)) {
      staged.alreadyDelivered++;
      continue;
    }
    // Found twice (a re-fired event, the reconciliation): keep the entry that is already under way.
    let entry = await outbox.get(intent.id);
    if (!entry) {
      entry = newEntry(change, intent, now);
      await outbox.put(entry);
    }
    staged.entries.push(entry);
  }
  // Recorded only once the deliveries it decided are safely in the outbox.
  if (change.kind === 'reviewer') {
    for (const reviewer of change.reviewers) {
      const who = reviewer.user.uuid ?? reviewer.user.accountId ?? 'unknown';
      await reviewers.record(change.repository.uuid, change.pullRequestId, who, { status: reviewer.status, at: reviewer.at });
    }
  }
  return staged;
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
