import type { DcClient } from '../../core/enrich/datacenter/client';
import type { Prebuilt } from '../../core/history/prebuilt';
import type { Logger } from '../../core/ports';
import type { ForwardContext } from '../../core/pipeline/context';
import { QUEUE_BATCH, type ForwardQueue } from '../../core/pipeline/queue';
import { stagePrebuilt } from '../../core/pipeline/stage';
import type { ListOrderGuard } from './list-order';
import type { PollState } from './state';

// What every poll step needs, and the one way they hand deliveries over: into the outbox first, then
// onto the queue. Once staged, a delivery survives anything; the queue only makes it go sooner.

/** The forwarding queue, and (the bridge's own) a way to wait until it has room. */
export type PollQueue = ForwardQueue & { room?(): Promise<void> };

export interface PollDeps {
  client: DcClient;
  ctx: ForwardContext;
  queue: PollQueue;
  state: PollState;
  /** Whether pull-request lists can be cut short (list-order.ts); one per bridge process. */
  listOrder: ListOrderGuard;
  /** Part of every delivery id (DESIGN: edition, instance, entity, key, version). */
  instance: string;
  backfillDays: number;
  /** The pull-request list's page cap (pull-requests-cut.ts): tests reach it with fewer pull requests. */
  pullRequestPages?: number;
  log: Logger;
  /** Told of every delivery staged as it is: a repository pass a stop cuts short still says what it put in the outbox. */
  onStaged?(count: number): void;
}

export async function stageAndQueue(items: Prebuilt[], deps: Pick<PollDeps, 'ctx' | 'queue' | 'onStaged'>): Promise<number> {
  if (!items.length) return 0;
  const staged = await stagePrebuilt(items, deps.ctx);
  const ids = staged.entries.map((entry) => entry.id);
  deps.onStaged?.(ids.length);
  for (let i = 0; i < ids.length; i += QUEUE_BATCH) await deps.queue.push([{ ids: ids.slice(i, i + QUEUE_BATCH) }]);
  // Backpressure: a backfill reads on only as fast as PanDev takes what it found.
  await deps.queue.room?.();
  return ids.length;
}
