import { z } from 'zod';
import { seeded } from '../sim-common/prng';
import { pickFault } from './faults';
import type { Delivery, FaultKind, FaultPlan, Rejection, SinkStats } from './types';

// What the receiver has seen, kept apart from HTTP so the admin API and the in-process API share it.

export const faultPlanSchema = z
  .strictObject({
    share: z.number().min(0).max(1),
    kinds: z.array(z.enum(['500', 'timeout', '429'])).min(1),
    retryAfterSeconds: z.number().int().min(0).optional(),
    holdMs: z.number().int().min(0).optional(),
  })
  .nullable();

export const respondNextSchema = z.strictObject({
  status: z.number().int().min(100).max(599),
  times: z.number().int().min(1).optional(),
  body: z.string().optional(),
  /** Only requests with this X-Event-Key take the scripted answer (a test aiming at one kind while others flow). */
  eventKey: z.string().min(1).optional(),
});

interface Scripted {
  status: number;
  remaining: number;
  body: string;
  eventKey?: string;
}

interface Waiter {
  count: number;
  resolve: (deliveries: Delivery[]) => void;
  fail: (error: Error) => void;
}

export class SinkState {
  private held: Delivery[] = [];
  private ids = new Set<string>();
  private refused: Rejection[] = [];
  private counts = { received: 0, duplicates: 0, pings: 0 };
  private faults: FaultPlan | null = null;
  private scripted: Scripted | null = null;
  private waiters: Waiter[] = [];
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = seeded(seed);
  }

  deliveries(eventKey?: string): Delivery[] {
    return this.held.filter((d) => eventKey === undefined || d.eventKey === eventKey);
  }

  rejected(): Rejection[] {
    return [...this.refused];
  }

  get received(): number {
    return this.counts.received;
  }

  get duplicates(): number {
    return this.counts.duplicates;
  }

  get pings(): number {
    return this.counts.pings;
  }

  stats(): SinkStats {
    return {
      ...this.counts,
      deliveries: this.held.length,
      rejected: this.refused.length,
      faults: this.faults,
      respondNext: this.scripted && { status: this.scripted.status, remaining: this.scripted.remaining },
    };
  }

  countReceived(): void {
    this.counts.received += 1;
  }

  countPing(): void {
    this.counts.pings += 1;
  }

  reject(rejection: Rejection): void {
    this.refused.push(rejection);
  }

  setFaults(plan: FaultPlan | null): void {
    this.faults = faultPlanSchema.parse(plan);
  }

  faultPlan(): FaultPlan | null {
    return this.faults;
  }

  nextFault(): FaultKind | undefined {
    return pickFault(this.faults, this.random);
  }

  respondNext(status: number, times = 1, body = '', eventKey?: string): void {
    const parsed = respondNextSchema.parse({ status, times, body, ...(eventKey === undefined ? {} : { eventKey }) });
    this.scripted = { status: parsed.status, remaining: parsed.times ?? 1, body: parsed.body ?? '', ...(parsed.eventKey ? { eventKey: parsed.eventKey } : {}) };
  }

  clearScripted(): void {
    this.scripted = null;
  }

  /** The scripted answer for a request with this event key, if one is pending for it. */
  takeScripted(eventKey: string): { status: number; body: string } | undefined {
    if (!this.scripted) return undefined;
    if (this.scripted.eventKey !== undefined && this.scripted.eventKey !== eventKey) return undefined;
    const { status, body } = this.scripted;
    this.scripted.remaining -= 1;
    if (this.scripted.remaining <= 0) this.scripted = null;
    return { status, body };
  }

  /** Stores a delivery unless its id is already held; returns false for a duplicate. */
  store(delivery: Delivery): boolean {
    if (this.ids.has(delivery.id)) {
      this.counts.duplicates += 1;
      return false;
    }
    this.ids.add(delivery.id);
    this.held.push(delivery);
    this.waiters = this.waiters.filter((w) => {
      if (this.held.length < w.count) return true;
      w.resolve([...this.held]);
      return false;
    });
    return true;
  }

  waitFor(count: number, timeoutMs: number): Promise<Delivery[]> {
    if (this.held.length >= count) return Promise.resolve([...this.held]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`sink: expected ${count} deliveries within ${timeoutMs} ms, got ${this.held.length}`));
      }, timeoutMs);
      const waiter: Waiter = {
        count,
        resolve: (deliveries) => {
          clearTimeout(timer);
          resolve(deliveries);
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Fails every pending waitFor() so a stopped sink leaves no timers behind. */
  abortWaiters(reason: string): void {
    for (const waiter of this.waiters) waiter.fail(new Error(reason));
    this.waiters = [];
  }

  clear(): void {
    this.held = [];
    this.ids.clear();
    this.refused = [];
    this.counts = { received: 0, duplicates: 0, pings: 0 };
  }
}
