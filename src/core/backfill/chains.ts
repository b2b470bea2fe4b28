import type { KeyValueStore, Logger } from '../ports';
import { idsMessages, PLANNED_WORK, pushEach, PushRefusedError, QUEUE_BATCH, type ForwardMessage, type ForwardQueue, type QueuedMessage } from '../pipeline/queue';
import { recordCarried } from './carried';
import { runBackfillPiece, type BackfillDeps, type PieceResult } from './job';
import { getBackfill, listBackfills, newChain, park, saveBackfill, unparked, type BackfillRecord } from './state';

// Backfill pieces run in chains: each piece queues what it staged and the next piece, in one push
// request. Forge counts push requests per lineage: at most 1,000 across every invocation descending
// from one initial invocation (the Activate resolver, a five-minute tick), the deliveries' consumers
// included, and refuses the rest (InvocationLimitReachedError); it also refuses more than 500 events a
// minute per installation (RateLimitError). So no lineage may carry an unbounded backfill:
//  * one start (Activate, a selection, a tick) starts at most CHAINS_AT_ONCE chains, counting those
//    still running; the other records wait, parked (state.ts);
//  * a chain whose record is done takes the longest-parked record on, within its share;
//  * a chain counts the push requests it made, and those the consumers of its deliveries may make (one
//    each: a retry group or a comment). Past CHAIN_PUSH_SHARE it parks its record and stops, and the
//    next tick, a lineage of its own, starts a fresh chain. Ten chains of 50 use half of Forge's 1,000,
//    leaving room for a last piece's overshoot and for what the deliveries push;
//  * a push the platform refuses anyway parks the record: the tick takes it up within five minutes.
//    After a 429 the consumer is also redelivered a minute later (Forge's advice), which resumes it
//    sooner. Staged deliveries of a refused push stay in the outbox, where the sweep finds them.
// A record is never `failed` for a push: only Bitbucket's answers fail a repository.

export const CHAINS_AT_ONCE = 10;
export const CHAIN_PUSH_SHARE = 50;
/** Forge's advice after a RateLimitError: "retry adding events after a minute". */
const RATE_LIMIT_RETRY_SECONDS = 60;

export interface ChainLink {
  workspace: string;
  repository: string;
  /** The chain's name (none: a message queued before chains were named). */
  chain?: string;
  /** Push requests the chain has made, or led to, since the invocation that started it. */
  pushes?: number;
}

export function pieceMessage(workspace: string, record: Pick<BackfillRecord, 'repository' | 'chain'>, pushes = 0): ForwardMessage {
  return { backfill: { workspace, repository: record.repository, ...(record.chain !== undefined ? { chain: record.chain } : {}), pushes } };
}

export interface LinkResult {
  /** The push was refused for the minute: the consumer should be redelivered after this long. */
  retryAfterSeconds?: number;
}

/** One link of a chain: a piece, then its deliveries and the next piece queued in one push request. */
export async function runLink(link: ChainLink, deps: BackfillDeps & { queue: ForwardQueue }): Promise<LinkResult> {
  const { ctx } = deps;
  const piece = await runBackfillPiece(link.repository, deps, link.chain);
  const deliveries = idsMessages(piece.staged);
  const pushes = (link.pushes ?? 0) + pushCost(deliveries.length);
  const next = await successor(link, piece, deps, pushes);
  const items: QueuedMessage[] = deliveries.map((message) => ({ message }));
  if (next) items.push({ message: pieceMessage(link.workspace, next, pushes), options: { delaySeconds: next.delaySeconds, serializeBy: PLANNED_WORK } });
  try {
    await pushEach(deps.queue, items);
    return {};
  } catch (error) {
    // Nothing is lost: the staged deliveries are in the outbox (the sweep), the record keeps its cursor.
    if (next) await parkIfStill(ctx.store, next, error instanceof PushRefusedError ? `the queue refused the next piece: ${error.message}` : 'the next piece could not be queued', ctx.clock.now());
    if (!(error instanceof PushRefusedError)) throw error;
    const log = { repository: link.repository, refusal: error.refusal, deliveries: piece.staged.length };
    if (next) ctx.log.warn({ ...log, next: next.repository }, 'backfill chain parked: the queue refused its push; the five-minute tick resumes it');
    else ctx.log.warn(log, 'backfill deliveries left to the outbox sweep: the queue refused their push');
    return error.refusal === 'rate-limit' && next ? { retryAfterSeconds: RATE_LIMIT_RETRY_SECONDS } : {};
  }
}

/** Push requests a link's push takes, plus one for each delivery message (its consumer may push once). */
function pushCost(deliveryMessages: number): number {
  return Math.ceil((deliveryMessages + 1) / QUEUE_BATCH) + deliveryMessages;
}

interface Next {
  repository: string;
  chain?: string;
  delaySeconds: number;
}

/** What the chain does next: this record's next piece, another record's first, or nothing (parked, or none left). */
async function successor(link: ChainLink, piece: PieceResult, deps: BackfillDeps, pushes: number): Promise<Next | undefined> {
  const { ctx } = deps;
  const now = ctx.clock.now();
  const overShare = pushes >= CHAIN_PUSH_SHARE;
  if (piece.kind === 'continue') {
    if (!overShare) return { repository: link.repository, ...(link.chain !== undefined ? { chain: link.chain } : {}), delaySeconds: piece.delaySeconds };
    const record = await getBackfill(ctx.store, link.repository);
    if (record && record.chain === link.chain) await saveBackfill(ctx.store, park(record, 'its chain used its share of push requests; the five-minute tick resumes it', now, now + piece.delaySeconds * 1000));
    ctx.log.info({ repository: link.repository, pushes }, 'backfill chain handed its record to the five-minute tick');
    return undefined;
  }
  // Superseded: another chain carries the record. A message from before chains were named takes none on.
  if (piece.kind === 'superseded' || link.chain === undefined || overShare) return undefined;
  return claimParked(ctx.store, link.chain, now);
}

/** The longest-parked unfinished record, now carried by `chain`. */
async function claimParked(store: KeyValueStore, chain: string, now: number): Promise<Next | undefined> {
  const [record] = parkedFirst(await listBackfills(store));
  if (!record) return undefined;
  await saveBackfill(store, { ...unparked(record), chain, updatedAt: now });
  return { repository: record.repository, chain, delaySeconds: resumeDelay(record, now) };
}

async function parkIfStill(store: KeyValueStore, next: Next, reason: string, now: number): Promise<void> {
  const record = await getBackfill(store, next.repository);
  // Still this chain's (nobody took it over meanwhile), and still to be done.
  if (record && record.chain === next.chain && (record.state === 'queued' || record.state === 'running')) {
    await saveBackfill(store, park(record, reason, now, now + next.delaySeconds * 1000));
  }
}

/** Unfinished parked records, longest-parked first; those parked together in `order` (the order they were asked for in). */
function parkedFirst(records: BackfillRecord[], order: string[] = []): BackfillRecord[] {
  const rank = new Map(order.map((repository, i) => [repository, i]));
  const place = (r: BackfillRecord) => rank.get(r.repository) ?? order.length;
  return records.filter((r) => r.parked && (r.state === 'queued' || r.state === 'running')).sort((a, b) => a.parked!.at - b.parked!.at || place(a) - place(b));
}

function resumeDelay(record: BackfillRecord, now: number): number {
  const at = record.parked?.resumeAt;
  return at === undefined ? 0 : Math.max(0, Math.ceil((at - now) / 1000));
}

export interface StartDeps {
  store: KeyValueStore;
  queue: ForwardQueue;
  log: Logger;
  workspace: string;
  now: number;
  /** Repositories in the order they were just asked for: among those parked at once, they go first in that order. */
  order?: string[];
}

/**
 * Starts chains for parked records, longest-parked first, until CHAINS_AT_ONCE carry records; all in
 * one push request. Called by the resolvers that request backfills and by the five-minute tick.
 * Returns how many it started (none when the queue refused: they stay parked for the next tick).
 */
export async function startChains(deps: StartDeps): Promise<number> {
  const records = await listBackfills(deps.store);
  const carried = records.filter((r) => !r.parked && (r.state === 'queued' || r.state === 'running'));
  const chosen = parkedFirst(records, deps.order).slice(0, Math.max(0, CHAINS_AT_ONCE - carried.length));
  // Those that will share the pace: the figure each one's time left counts the others by.
  if (carried.length + chosen.length) await recordCarried(deps.store, [...carried, ...chosen], deps.now);
  if (!chosen.length) return 0;
  const started = chosen.map((record, i): BackfillRecord => ({ ...unparked(record), chain: newChain(deps.now, i), updatedAt: deps.now }));
  // Saved first: a piece of a new chain must find its name on the record.
  for (const record of started) await saveBackfill(deps.store, record);
  try {
    await pushEach(
      deps.queue,
      started.map((record, i) => ({ message: pieceMessage(deps.workspace, record), options: { delaySeconds: resumeDelay(chosen[i]!, deps.now), serializeBy: PLANNED_WORK } })),
    );
  } catch (error) {
    // Parked again (in their place in line, under their new names): no piece of them was queued.
    const reason = error instanceof PushRefusedError ? `the queue refused to start it: ${error.message}` : 'could not be queued';
    for (const [i, record] of started.entries()) await saveBackfill(deps.store, park({ ...record, parked: chosen[i]!.parked! }, reason, deps.now));
    if (!(error instanceof PushRefusedError)) throw error;
    deps.log.warn({ records: started.length, refusal: error.refusal }, 'backfill chains not started: the queue refused; the next five-minute tick tries again');
    return 0;
  }
  deps.log.info({ started: started.length, parked: parkedFirst(records).length - started.length }, 'backfill chains started');
  return started.length;
}
