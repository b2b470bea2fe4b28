import { errorMessage } from '../../core/errors';
import type { ForwardContext } from '../../core/pipeline/context';
import { forward } from '../../core/pipeline/forward';
import type { ForwardMessage, ForwardQueue, PushOptions } from '../../core/pipeline/queue';

// The forwarding queue in the bridge's own process: what Forge's queue and its InvocationError retries
// do for the app, a timer does here. Nothing lives only in memory: every message refers to outbox
// entries in SQLite (or stages a change into it first), and on start every outbox entry is queued
// again, so a killed process resumes exactly where it stopped.

export interface LocalQueue extends ForwardQueue {
  /**
   * Resolves once at most `max` deliveries wait for a worker: a source that finds deliveries faster than
   * PanDev takes them (a backfill) waits here, so memory stays flat however long the history is.
   */
  room(max?: number): Promise<void>;
  /** Resolves when nothing is running or due within `horizonMs` (tests, benchmarks, shutdown). */
  idle(horizonMs?: number): Promise<void>;
  /** Stops taking work and waits (at most `graceMs`) for what is running. */
  close(graceMs?: number): Promise<void>;
  readonly pending: number;
}

export function localQueue(ctx: ForwardContext, options: { concurrency: number; timeScale?: number }): LocalQueue {
  const scale = options.timeScale ?? 1;
  const timers = new Map<NodeJS.Timeout, number>();
  const ready: Array<{ message: ForwardMessage; retryIds?: string[] }> = [];
  let running = 0;
  let closed = false;
  const waiters = new Set<() => void>();

  const settle = () => {
    for (const wake of [...waiters]) wake();
  };

  function schedule(message: ForwardMessage, delaySeconds: number, retryIds?: string[]): void {
    if (closed) return;
    if (delaySeconds <= 0) {
      ready.push({ message, ...(retryIds ? { retryIds } : {}) });
      pump();
      return;
    }
    const due = Date.now() + delaySeconds * 1000 * scale;
    const timer = setTimeout(() => {
      timers.delete(timer);
      ready.push({ message, ...(retryIds ? { retryIds } : {}) });
      pump();
    }, delaySeconds * 1000 * scale);
    timers.set(timer, due);
  }

  function pump(): void {
    while (!closed && running < options.concurrency && ready.length) {
      const job = ready.shift()!;
      const { message } = job;
      if (!('ids' in message) && !('change' in message)) {
        // Backfill and reconciliation messages are Forge's way of chunking work; the bridge runs those
        // passes itself (see ../runner.ts), so nothing it runs sends them.
        ctx.log.warn({ message: Object.keys(message)[0] }, 'ignored a queue message the bridge does not handle');
        continue;
      }
      running++;
      forward(message, ctx, job.retryIds)
        .then((result) => {
          // Forge would re-invoke the consumer with InvocationError's retryData; a timer does it here.
          for (const group of result.retries) schedule({ ids: group.ids }, group.afterSeconds, group.ids);
        })
        .catch((error: unknown) => {
          // The entries stay in the outbox; the periodic sweep picks them up again.
          ctx.log.error({ error: errorMessage(error) }, 'forwarding failed; the outbox sweep will retry');
        })
        .finally(() => {
          running--;
          pump();
          settle();
        });
    }
    settle();
  }

  return {
    async push(messages: ForwardMessage[], pushOptions: PushOptions = {}) {
      for (const message of messages) schedule(message, pushOptions.delaySeconds ?? 0);
    },
    room(max = 2000) {
      const fits = () => ready.reduce((sum, job) => sum + ('ids' in job.message ? job.message.ids.length : 1), 0) <= max;
      if (closed || fits()) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const check = () => {
          if (!closed && !fits()) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    get pending() {
      return ready.length + running + timers.size;
    },
    idle(horizonMs = 0) {
      const quiet = () => running === 0 && ready.length === 0 && [...timers.values()].every((due) => due > Date.now() + horizonMs);
      if (quiet()) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const check = () => {
          if (!quiet()) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    async close(graceMs = 20_000) {
      closed = true;
      for (const timer of timers.keys()) clearTimeout(timer);
      timers.clear();
      ready.length = 0;
      const deadline = Date.now() + graceMs;
      while (running > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    },
  };
}
