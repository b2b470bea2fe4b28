import { readStored, type Catalog } from './catalog';
import { mapLimit } from './context';
import type { Change } from '../change/change';
import { keyPart } from '../keys';
import type { ForwardContext } from '../pipeline/context';
import { listDeadLetters, reviveDeadLetter, type DeadLetterView } from '../pipeline/dead-letters';
import { idsMessages, pushEach, PushRefusedError, type ForwardQueue } from '../pipeline/queue';

/**
 * A page of dead letters for the settings page, each repository named as Repositories names it. The
 * names come from the copy of the repository list the page keeps (kept for days, read again while
 * the page is open): one read of that copy per call, whatever the page holds (its header and a value
 * per 500 repositories: 21 store reads for 10,000), and no Bitbucket request at all.
 */
export async function listNamedDeadLetters(ctx: ForwardContext, options: { cursor?: string; limit?: number }): Promise<{ items: DeadLetterView[]; cursor?: string }> {
  const catalog = await readStored(ctx);
  return listDeadLetters(ctx, options, (change) => repositoryName(change, catalog));
}

/** Its name in the list; else the slug the event carried; else what the UUID alone can say. */
export function repositoryName(change: Pick<Change, 'repository' | 'at'>, catalog: Catalog | undefined): string {
  const { uuid, slug } = change.repository;
  const listed = catalog?.byKey.get(keyPart(uuid));
  if (listed) return listed.name;
  if (slug) return slug;
  // Missing from a list read after the event, it was deleted (or moved away) since. A list read
  // before it (or none kept yet) may simply not have it: the page reads the list again within minutes
  // and lists the letters again with it, so the name comes then. A bare UUID would tell the admin nothing.
  return catalog && catalog.fetchedAt >= Date.parse(change.at) ? `a repository no longer in the workspace (${uuid})` : `a repository not in the Repositories list yet (${uuid})`;
}

// Replay all: thousands of dead letters do not fit in one resolver call (Forge stops it at 25 s), so
// each call replays what it can in a few seconds and answers where to go on; the page calls again.

/** Forge's storage answers at most 20 keys per query. */
const PAGE = 20;
/** Whole pages only, so the cursor never skips a letter: at most this many per call, give or take a page. */
const MAX_PER_CALL = 60;
/** Well inside the 25 s a resolver has: a page started before this still finishes in time. */
const CALL_BUDGET_MS = 8_000;
const PARALLEL = 5;

export interface ReplayAllProgress {
  replayed: number;
  alreadyDelivered: number;
  /** The moment the replay was asked for, by the server's clock: the next calls pass it back. */
  before: number;
  /** Where the next call goes on; none when every letter has been seen. */
  cursor?: string;
}

/**
 * Replays the dead letters that were dead at `before` (the moment the admin asked): one that dies
 * again meanwhile, because its cause is not fixed yet, is left for the admin instead of going round.
 */
export async function replayDeadLetters(ctx: ForwardContext, queue: ForwardQueue, input: { before?: number | undefined; cursor?: string | undefined }): Promise<ReplayAllProgress> {
  const started = ctx.clock.now();
  const before = input.before ?? started;
  const progress: ReplayAllProgress = { replayed: 0, alreadyDelivered: 0, before };
  let cursor = input.cursor;
  const queued: string[] = [];
  do {
    const page = await listDeadLetters(ctx, { limit: PAGE, ...(cursor ? { cursor } : {}) });
    const due = page.items.filter((letter) => letter.deadAt <= before);
    const outcomes = await mapLimit(due, PARALLEL, async (letter) => ({ id: letter.id, outcome: await reviveDeadLetter(letter.id, ctx, letter.deadAt) }));
    queued.push(...outcomes.filter(({ outcome }) => outcome === 'queued').map(({ id }) => id));
    progress.alreadyDelivered += outcomes.filter(({ outcome }) => outcome === 'already-delivered').length;
    cursor = page.cursor;
  } while (cursor && queued.length + progress.alreadyDelivered < MAX_PER_CALL && ctx.clock.now() - started < CALL_BUDGET_MS);
  progress.replayed = queued.length;
  // One push request of a message per 50 ids: Forge allows an installation 500 events a minute, and a
  // thousand letters queued one event each ran into it halfway (and took the live events' share).
  try {
    await pushEach(queue, idsMessages(queued).map((message) => ({ message })));
  } catch (error) {
    // They are in the outbox, due now: the five-minute sweep queues them. The replay goes on.
    if (!(error instanceof PushRefusedError)) throw error;
    ctx.log.warn({ entries: queued.length, refusal: error.refusal }, 'replayed dead letters left to the outbox sweep: the queue refused');
  }
  ctx.log.info({ replayed: progress.replayed, alreadyDelivered: progress.alreadyDelivered, more: cursor !== undefined }, 'dead letters replayed');
  return { ...progress, ...(cursor ? { cursor } : {}) };
}
