import { settingsStore } from '../config/settings';
import { outboxStore } from '../deliver/outbox';
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
  const outbox = outboxStore(ctx.store);
  const due = ctx.clock.now() - (await settings.tuning()).sweepGraceSeconds * 1000;
  const late: string[] = [];
  let scanned = 0;
  let cursor: string | undefined;
  do {
    const page = await outbox.list(cursor, 100);
    for (const { value } of page.entries) {
      scanned++;
      if (value.nextAttemptAt <= due) late.push(value.id);
    }
    cursor = page.cursor;
  } while (cursor && late.length < MAX_PER_SWEEP);
  // One call: on Forge, up to 50 messages go in one push request (limited per lineage and per minute).
  await queue.push(idsMessages(late));
  if (late.length) ctx.log.info({ requeued: late.length, scanned }, 'outbox sweep re-queued late deliveries');
  return { requeued: late.length, scanned };
}
