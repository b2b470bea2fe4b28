import { settingsStore } from '../config/settings';
import { outboxStore } from '../deliver/outbox';
import type { Clock, KeyValueStore, Logger } from '../ports';
import type { ForwardContext } from './context';
import { pauseInForce } from './pause';
import { idsMessages, type ForwardQueue } from './queue';
import { firstChild, nextPrefix, readSweepPosition, saveSweepPosition } from './sweep-position';

// Forge does not promise that a retry or a queued event ever runs. Every five minutes the outbox is
// scanned for entries whose planned attempt is well past (their retry was lost, or the consumer died
// mid-way) and they are queued again. Attempts are idempotent: the ledger and PanDev's deduplication
// on X-Request-UUID absorb the rare double run.

const MAX_PER_SWEEP = 1000;
/**
 * A sweep's queries where each is metered (Forge): 1,000 entries at Forge's 20 a page, a small share of
 * the storage quota and of the tick's time whatever the outbox holds.
 */
export const QUERIES_PER_METERED_SWEEP = 50;

export interface SweepOptions {
  /**
   * How long the re-queued ids wait before a consumer takes them: the longest a consumer may run (Forge
   * stops it then). An entry late by the grace may still be in a consumer's hands (its message waited in
   * a backlog, then a slow Bitbucket read); queued at once, the copy ran beside it, enriching and POSTing
   * it a second time. After the wait, the copy finds what that consumer delivered in the ledger.
   */
  holdOffSeconds?: number;
  /**
   * The most outbox queries one sweep makes (Forge: 20 entries each). Without it the whole outbox is
   * read every time (the bridge: a local file). With it, a sweep goes on where the last one stopped
   * (sweep-position.ts): an outbox of tens of thousands waiting out a long PanDev outage costs each tick
   * this many queries, not thousands against the installation's storage quota and the tick's time limit,
   * and a late entry is found within one walk of the outbox, a bounded number of ticks.
   */
  maxQueries?: number;
}

export async function sweepOutbox(ctx: ForwardContext, queue: ForwardQueue, options: SweepOptions = {}): Promise<{ requeued: number; scanned: number }> {
  const settings = settingsStore(ctx.store, ctx.secrets);
  const connection = await settings.connection();
  if (!connection?.activatedAt) return { requeued: 0, scanned: 0 };
  const lifting = connection.disabled !== undefined;
  if (connection.disabled) {
    // Only a pause for credentials replaced since can end here: what it kept is tried with the new ones.
    if (connection.disabled.refused === undefined || pauseInForce(connection, await settings.credentials())) return { requeued: 0, scanned: 0 };
    ctx.log.info({}, 'the token or signing secret PanDev refused was replaced: deliveries kept by the pause are tried again');
  }
  const due = ctx.clock.now() - (await settings.tuning()).sweepGraceSeconds * 1000;
  const walked = options.maxQueries === undefined ? undefined : await walk(ctx.store, due, options.maxQueries, heldBy(queue));
  const { ids: late, scanned } = walked ?? (await scan(ctx.store, due, MAX_PER_SWEEP, undefined, heldBy(queue)));
  // One call: on Forge, up to 50 messages go in one push request (limited per lineage and per minute).
  // What a pause kept is in no consumer's hands (a paused delivery is not attempted): no copy to wait out,
  // and the admin who replaced the credentials is watching for it.
  await queue.push(idsMessages(late), options.holdOffSeconds && !lifting ? { delaySeconds: options.holdOffSeconds } : {});
  // Only once they are queued: a push refused leaves the walk where it was, for the next tick to read again.
  await walked?.moveOn();
  if (late.length) ctx.log.info({ requeued: late.length, scanned }, 'outbox sweep re-queued late deliveries');
  return { requeued: late.length, scanned };
}

/**
 * What the queue is still moving forward, to leave alone. The bridge's queue may hold an entry that is
 * due (a large outbox at start, PanDev slow, or what a poll staged as a check lifted a pause): queued
 * again, a second worker would send it beside the first. Forge's queue cannot tell (undefined).
 */
function heldBy(queue: ForwardQueue): ((id: string) => boolean) | undefined {
  return queue.holds?.bind(queue);
}

/**
 * Part of the outbox from where the last sweep stopped, `maxQueries` queries at most: each prefix read
 * to its end moves the position past it; one left half-read is taken again, from its first child if it
 * had all the queries (smaller, so the walk always moves on). The walk's end brings it back to the start.
 */
async function walk(store: KeyValueStore, due: number, maxQueries: number, held?: (id: string) => boolean): Promise<{ ids: string[]; scanned: number; moveOn: () => Promise<void> }> {
  const from = await readSweepPosition(store);
  const ids: string[] = [];
  let scanned = 0;
  let queries = 0;
  let prefix: string | undefined = from;
  while (prefix !== undefined && queries < maxQueries && ids.length < MAX_PER_SWEEP) {
    const found = await scan(store, due, MAX_PER_SWEEP - ids.length, (pages) => queries + pages >= maxQueries, held, prefix);
    ids.push(...found.ids);
    scanned += found.scanned;
    // Cut short with the whole sweep's queries: too large for one sweep, its children are not. Cut short
    // after others: the next sweep takes it again with all its queries.
    if (found.more) prefix = queries === 0 ? firstChild(prefix) : prefix;
    else prefix = nextPrefix(prefix);
    queries += found.pages;
  }
  const to = prefix ?? '';
  return { ids, scanned, moveOn: async () => (to === from ? undefined : saveSweepPosition(store, to)) };
}

/**
 * The outbox (or its entries under `prefix`) as seen at `due`: ids of the entries planned for then or before (up to
 * `limit`, none `held`), and how many are planned later (each waits out a retry its queue message or timer will
 * bring), the last for when. `stopAt` is asked, with the pages read so far, before each further page.
 */
async function scan(store: KeyValueStore, due: number, limit: number, stopAt?: (pages: number) => boolean, held?: (id: string) => boolean, prefix = ''): Promise<{ ids: string[]; scanned: number; later: number; lastLaterAt?: number; more: boolean; pages: number }> {
  const outbox = outboxStore(store);
  const ids: string[] = [];
  let scanned = 0;
  let later = 0;
  let lastLaterAt: number | undefined;
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await outbox.list(cursor, 100, prefix);
    pages++;
    for (const { value } of page.entries) {
      scanned++;
      if (value.nextAttemptAt <= due) {
        if (!held?.(value.id)) ids.push(value.id);
        continue;
      }
      later++;
      lastLaterAt = Math.max(lastLaterAt ?? 0, value.nextAttemptAt);
    }
    cursor = page.cursor;
  } while (cursor && ids.length < limit && !stopAt?.(pages));
  return { ids, scanned, later, ...(lastLaterAt === undefined ? {} : { lastLaterAt }), more: cursor !== undefined, pages };
}

/** What a pause kept in the outbox, found when it was lifted. */
export interface KeptDeliveries {
  /** Held by the pause (their attempt was due while it lasted): these go now. */
  due: number;
  /** Waiting out a retry planned after now: each goes at its planned time, the last at `lastRetryAt`. */
  waiting: number;
  lastRetryAt?: number;
  /** The scan stopped short (its cap or deadline): the next outbox sweep takes what it left. */
  more: boolean;
}

/**
 * Queues at once what a pause kept, when a passing check lifted it: the sweep would take them only at
 * its next run (minutes), with the admin who fixed the token watching for them to arrive. Only entries
 * whose attempt is due: one waiting out a retry's backoff keeps its own timer, and is counted apart; one
 * the queue is already moving forward (heldBy) is neither queued again nor counted.
 * `deadline` (epoch ms) ends the scan early (a resolver's time is short); what it leaves, the next sweep takes.
 */
export async function queueKept(ctx: { store: KeyValueStore; clock: Clock; log: Logger }, queue: ForwardQueue, deadline?: number): Promise<KeptDeliveries> {
  const found = await scan(ctx.store, ctx.clock.now(), MAX_PER_SWEEP, deadline === undefined ? undefined : () => ctx.clock.now() >= deadline, heldBy(queue));
  await queue.push(idsMessages(found.ids));
  if (found.ids.length) ctx.log.info({ queued: found.ids.length, waiting: found.later, more: found.more }, 'deliveries kept by the pause queued now');
  return keptOf(found);
}

/** The same split of the whole outbox, queueing nothing: for the bridge's `check`, whose running bridge queues them. */
export async function countKept(ctx: { store: KeyValueStore; clock: Clock }): Promise<KeptDeliveries> {
  return keptOf(await scan(ctx.store, ctx.clock.now(), Infinity));
}

function keptOf(found: Awaited<ReturnType<typeof scan>>): KeptDeliveries {
  return { due: found.ids.length, waiting: found.later, ...(found.lastLaterAt === undefined ? {} : { lastRetryAt: found.lastLaterAt }), more: found.more };
}
