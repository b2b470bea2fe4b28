import { errorMessage } from '../../core/errors';
import type { ForwardContext } from '../../core/pipeline/context';
import { forward } from '../../core/pipeline/forward';
import { idsMessages, type ForwardMessage, type ForwardQueue, type PushOptions } from '../../core/pipeline/queue';

// The forwarding queue in the bridge's own process: what Forge's queue and its InvocationError retries
// do for the app, a timer does here. Nothing lives only in memory: every message refers to outbox
// entries in SQLite (or stages a change into it first), and on start every outbox entry is queued
// again (at once, or at its planned retry: see plan()), so a killed process resumes exactly where it stopped.

export interface LocalQueue extends ForwardQueue {
  /**
   * Resolves once at most `max` deliveries wait for a worker: a source that finds deliveries faster than
   * PanDev takes them (a backfill) waits here, so memory stays flat however long the history is.
   */
  room(max?: number): Promise<void>;
  /**
   * Queues each outbox id once its wait is over, with one timer for the soonest: a start may find a
   * large outbox waiting out retries, and a timer per entry would hold as many.
   */
  plan(entries: Array<{ id: string; afterSeconds: number }>): void;
  /** Resolves when nothing is running or due within `horizonMs` (tests, benchmarks, shutdown). */
  idle(horizonMs?: number): Promise<void>;
  /**
   * Stops taking work at once: a source waiting in room() goes on (to see that the bridge stops), and
   * running batches end after the delivery each is attempting. Waits (at most `graceMs`) for those.
   * Every later call answers with the first one's promise.
   */
  close(graceMs?: number): Promise<void>;
  readonly pending: number;
}

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export function localQueue(ctx: ForwardContext, options: { concurrency: number; timeScale?: number; room?: number }): LocalQueue {
  const scale = options.timeScale ?? 1;
  const timers = new Map<NodeJS.Timeout, number>();
  const ready: Array<{ message: ForwardMessage; retryIds?: string[] }> = [];
  let running = 0;
  let closed = false;
  let closing: Promise<void> | undefined;
  const stopping = new AbortController();
  // Soonest first (wall-clock ms); `next` is the first not yet queued, so taking one is no array shift.
  let planned: Array<{ id: string; due: number }> = [];
  let next = 0;
  let wakeUp: NodeJS.Timeout | undefined;
  // How many messages waiting, running or planned here name each outbox id (see holds()).
  const held = new Map<string, number>();
  const waiters = new Set<() => void>();

  function hold(message: ForwardMessage, by: 1 | -1): void {
    if (!('ids' in message)) return;
    for (const id of message.ids) {
      const count = (held.get(id) ?? 0) + by;
      if (count > 0) held.set(id, count);
      else held.delete(id);
    }
  }

  const settle = () => {
    for (const wake of [...waiters]) wake();
  };

  function schedule(message: ForwardMessage, delaySeconds: number, retryIds?: string[]): void {
    if (closed) return;
    hold(message, 1);
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

  function takeDue(): void {
    if (wakeUp) timers.delete(wakeUp);
    wakeUp = undefined;
    const ids: string[] = [];
    while (next < planned.length && planned[next]!.due <= Date.now()) ids.push(planned[next++]!.id);
    if (next === planned.length) {
      planned = [];
      next = 0;
    }
    for (const message of idsMessages(ids)) ready.push({ message });
    armWakeUp();
    pump();
  }

  function armWakeUp(): void {
    if (closed || next >= planned.length) return;
    const due = planned[next]!.due;
    // Node runs a longer timeout at once (a Retry-After of weeks): it wakes early, and waits again.
    wakeUp = setTimeout(takeDue, Math.min(Math.max(0, due - Date.now()), MAX_TIMEOUT_MS));
    timers.set(wakeUp, due);
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
      forward(message, ctx, job.retryIds, { signal: stopping.signal })
        .then((result) => {
          // Forge would re-invoke the consumer with InvocationError's retryData; a timer does it here.
          for (const group of result.retries) schedule({ ids: group.ids }, group.afterSeconds, group.ids);
        })
        .catch((error: unknown) => {
          // The entries stay in the outbox; the periodic sweep picks them up again.
          ctx.log.error({ error: errorMessage(error) }, 'forwarding failed; the outbox sweep will retry');
        })
        .finally(() => {
          hold(message, -1);
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
    room(max = options.room ?? 2000) {
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
    plan(entries) {
      if (closed || !entries.length) return;
      const now = Date.now();
      planned = planned.slice(next).concat(entries.map(({ id, afterSeconds }) => ({ id, due: now + afterSeconds * 1000 * scale })));
      for (const { id } of entries) held.set(id, (held.get(id) ?? 0) + 1);
      planned.sort((a, b) => a.due - b.due);
      next = 0;
      // The soonest may have changed: one timer, for it.
      if (wakeUp) {
        clearTimeout(wakeUp);
        timers.delete(wakeUp);
        wakeUp = undefined;
      }
      armWakeUp();
    },
    holds: (id) => held.has(id),
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
    close(graceMs = 20_000) {
      if (closing) return closing;
      closed = true;
      stopping.abort();
      for (const timer of timers.keys()) clearTimeout(timer);
      timers.clear();
      ready.length = 0;
      planned = [];
      held.clear();
      // Wakes room(): a poll waiting for PanDev to take deliveries would otherwise hold the stop until it did.
      settle();
      closing = new Promise<void>((resolve) => {
        const grace = setTimeout(done, graceMs);
        function done() {
          clearTimeout(grace);
          waiters.delete(check);
          resolve();
        }
        function check() {
          if (running === 0) done();
        }
        waiters.add(check);
        check();
      });
      return closing;
    },
  };
}
