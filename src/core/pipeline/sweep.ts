import { settingsStore } from '../config/settings';
import { outboxStore } from '../deliver/outbox';
import type { Clock, KeyValueStore, Logger } from '../ports';
import type { ForwardContext } from './context';
import { pauseInForce } from './pause';
import { idsMessages, type ForwardQueue } from './queue';

// Forge does not promise that a retry or a queued event ever runs. Every five minutes the outbox is
// scanned for entries whose planned attempt is well past (their retry was lost, or the consumer died
// mid-way) and they are queued again. Attempts are idempotent: the ledger and PanDev's deduplication
// on X-Request-UUID absorb the rare double run.

const MAX_PER_SWEEP = 1000;

export async function sweepOutbox(ctx: ForwardContext, queue: ForwardQueue): Promise<{ requeued: number; scanned: number }> {
  const settings = settingsStore(ctx.store, ctx.secrets);
  const connection = await settings.connection();
  if (!connection?.activatedAt) return { requeued: 0, scanned: 0 };
  if (connection.disabled) {
    // Only a pause for credentials replaced since can end here: what it kept is tried with the new ones.
    if (connection.disabled.refused === undefined || pauseInForce(connection, await settings.credentials())) return { requeued: 0, scanned: 0 };
    ctx.log.info({}, 'the token or signing secret PanDev refused was replaced: deliveries kept by the pause are tried again');
  }
  const due = ctx.clock.now() - (await settings.tuning()).sweepGraceSeconds * 1000;
  const { ids: late, scanned } = await dueIds(ctx.store, due);
  // One call: on Forge, up to 50 messages go in one push request (limited per lineage and per minute).
  await queue.push(idsMessages(late));
  if (late.length) ctx.log.info({ requeued: late.length, scanned }, 'outbox sweep re-queued late deliveries');
  return { requeued: late.length, scanned };
}

/** Ids of the outbox entries planned for `due` or before, up to MAX_PER_SWEEP, and whether the scan stopped short. */
async function dueIds(store: KeyValueStore, due: number, stopAt?: () => boolean): Promise<{ ids: string[]; scanned: number; more: boolean }> {
  const outbox = outboxStore(store);
  const ids: string[] = [];
  let scanned = 0;
  let cursor: string | undefined;
  do {
    const page = await outbox.list(cursor, 100);
    for (const { value } of page.entries) {
      scanned++;
      if (value.nextAttemptAt <= due) ids.push(value.id);
    }
    cursor = page.cursor;
  } while (cursor && ids.length < MAX_PER_SWEEP && !stopAt?.());
  return { ids, scanned, more: cursor !== undefined };
}

/**
 * Queues at once what a pause kept, when a passing check lifted it: the sweep would take them only at
 * its next run (minutes), with the admin who fixed the token watching for them to arrive. Only entries
 * whose attempt is due: one waiting out a retry's backoff keeps its own timer. `deadline` (epoch ms) ends
 * the scan early (a resolver's time is short); what it leaves, the next sweep takes.
 */
export async function queueKept(ctx: { store: KeyValueStore; clock: Clock; log: Logger }, queue: ForwardQueue, deadline?: number): Promise<{ queued: number; more: boolean }> {
  const { ids, more } = await dueIds(ctx.store, ctx.clock.now(), deadline === undefined ? undefined : () => ctx.clock.now() >= deadline);
  await queue.push(idsMessages(ids));
  if (ids.length) ctx.log.info({ queued: ids.length, more }, 'deliveries kept by the pause queued now');
  return { queued: ids.length, more };
}
