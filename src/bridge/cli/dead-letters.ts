import { outboxStore } from '../../core/deliver/outbox';
import { listDeadLetters, replayDeadLetter, type DeadLetterView } from '../../core/pipeline/dead-letters';
import { systemClock } from '../../core/ports';
import type { BridgeConfig } from '../config/schema';
import { commandLogger } from '../ops/logger';
import { startBridge } from '../runner';
import type { SqliteStore } from '../state/sqlite-store';
import { within } from '../util/within';

export async function listDead(store: SqliteStore): Promise<DeadLetterView[]> {
  const items: DeadLetterView[] = [];
  let cursor: string | undefined;
  do {
    const page = await listDeadLetters({ store, clock: systemClock }, { ...(cursor ? { cursor } : {}), limit: 100 });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return items;
}

export interface ReplayResult {
  delivered: number;
  stillWaiting: number;
  deadAgain: number;
  notFound: number;
  /** Listed with no letter behind it (a replay took it as a listing indexed it): taken off the list, nothing sent. */
  staleRows: number;
}

/** Replays through a bridge that does not poll: the deliveries go out now, with the usual retries. */
export async function replayDead(config: BridgeConfig, ids: string[] | 'all'): Promise<ReplayResult> {
  // Beside a running bridge (the usual case): same state file (WAL), but not its port or its outbox.
  const running = await startBridge(config, { manual: true, serve: false, resume: false, log: commandLogger(config.bridge.logLevel) });
  const { ctx, queue, store } = running.bridge;
  const outbox = outboxStore(store);
  try {
    // The rows as listed, so each replay names the row it takes away with its letter: a row whose
    // letter is gone answered "not found" and stayed listed, however often it was replayed.
    const listed = new Map<string, DeadLetterView[]>();
    for (const row of await listDead(store)) listed.set(row.id, [...(listed.get(row.id) ?? []), row]);
    const wanted = ids === 'all' ? [...listed.keys()] : ids;
    // Only what was replayed now is counted: an id delivered long ago (replayed twice, say) is not found,
    // not delivered again, though the outbox remembers its delivery.
    const replayed: string[] = [];
    let notFound = 0;
    let staleRows = 0;
    for (const id of wanted) {
      const [row, ...others] = listed.get(id) ?? [];
      const outcome = await replayDeadLetter(id, ctx, queue, row?.deadAt);
      // Two rows of one letter listed on two pages: the letter is replayed once, and both rows go.
      for (const other of others) await outbox.removeDeadRow(other);
      if (outcome !== 'not-found') replayed.push(id);
      else if (row) staleRows++;
      else notFound++;
    }
    // Long retry waits stay in the outbox for the running bridge; a short wait covers the first attempts.
    await within(queue.idle(60_000), 60_000);
    let delivered = 0;
    let stillWaiting = 0;
    let deadAgain = 0;
    for (const id of replayed) {
      if (await outbox.isDelivered(id)) delivered++;
      else if (await outbox.get(id)) stillWaiting++;
      else if (await outbox.getDead(id)) deadAgain++;
    }
    return { delivered, stillWaiting, deadAgain, notFound, staleRows };
  } finally {
    await running.stop();
  }
}
