import type { DeadLetterItem } from '../../contract/resolvers';
import type { Change } from '../change/change';
import type { DeadLetterRow } from '../deliver/dead-letter-rows';
import { outboxStore } from '../deliver/outbox';
import type { ForwardContext } from './context';
import { PushRefusedError, type ForwardQueue } from './queue';

// Dead letters wait for an admin: listed with their reasons, replayed one by one or all at once.

/** A letter as listed: the settings page's row (its contract) is the one shape, the bridge CLI lists the same. */
export type DeadLetterView = DeadLetterItem;

/** How a letter's repository is named: by default as the event named it, its slug, else its UUID. */
export type RepositoryNamer = (change: Pick<Change, 'repository' | 'at'>) => string;
const asTheEventSaid: RepositoryNamer = (change) => change.repository.slug ?? change.repository.uuid;

/** The newest first: the admin's first page shows what just failed. */
export async function listDeadLetters(ctx: Pick<ForwardContext, 'store' | 'clock'>, options: { cursor?: string; limit?: number } = {}, nameOf = asTheEventSaid): Promise<{ items: DeadLetterView[]; cursor?: string }> {
  const page = await outboxStore(ctx.store).listDeadNewestFirst({ cursor: options.cursor, limit: options.limit ?? 50 }, () => ctx.clock.now());
  return { items: page.rows.map((row) => view(row, nameOf)), ...(page.cursor ? { cursor: page.cursor } : {}) };
}

export type ReplayOutcome = 'queued' | 'already-delivered' | 'not-found';

/** Moves a dead letter back into the outbox with a fresh attempt budget and queues it. */
export async function replayDeadLetter(id: string, ctx: ForwardContext, queue: ForwardQueue, listedAt?: number): Promise<ReplayOutcome> {
  const outcome = await reviveDeadLetter(id, ctx, listedAt);
  if (outcome !== 'queued') return outcome;
  try {
    await queue.push([{ ids: [id] }]);
  } catch (error) {
    // It is in the outbox, due now: the five-minute sweep queues it. Telling the admin the replay
    // failed would be wrong, and the letter is gone from the list already.
    if (!(error instanceof PushRefusedError)) throw error;
    ctx.log.warn({ id, refusal: error.refusal }, 'replayed dead letter left to the outbox sweep: the queue refused');
  }
  return outcome;
}

/**
 * Moves a dead letter back into the outbox with a fresh attempt budget, due now; the caller queues its
 * id (or leaves it to the outbox sweep, which queues whatever is due and was not).
 *
 * `listedAt`: the burial time of the row the admin replayed. It can be another than the letter's own:
 * two senders that bury one entry at once (no lease keeps them apart) each write a row, and a listing
 * can give a row to a letter a replay is taking away. That row goes too, or it stayed listed for the
 * 90 days, each replay of it answering 'not-found'.
 */
export async function reviveDeadLetter(id: string, ctx: ForwardContext, listedAt?: number): Promise<ReplayOutcome> {
  const outbox = outboxStore(ctx.store);
  const letter = await outbox.getDead(id);
  const removeListed = async () => {
    if (listedAt !== undefined && listedAt !== letter?.deadAt) await outbox.removeDeadRow({ id, deadAt: listedAt });
  };
  if (!letter) {
    await removeListed();
    return 'not-found';
  }
  if (await outbox.isDelivered(id)) {
    await outbox.removeDead(letter);
    await removeListed();
    return 'already-delivered';
  }
  await outbox.put({ ...letter.entry, attempts: 0, enrichAttempts: 0, nextAttemptAt: ctx.clock.now(), notBefore: undefined });
  await outbox.removeDead(letter);
  await removeListed();
  ctx.log.info({ id, eventKey: letter.entry.eventKey }, 'dead letter replayed');
  return 'queued';
}

function view(row: DeadLetterRow, nameOf: RepositoryNamer): DeadLetterView {
  return { id: row.id, eventKey: row.eventKey, repository: nameOf(row.change), reason: row.reason, deadAt: row.deadAt, attempts: row.attempts };
}
