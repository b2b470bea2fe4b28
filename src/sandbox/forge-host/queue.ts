import { randomUUID } from 'node:crypto';
import type { LargestSizes, QueueStats } from './types';

// Forge async events: pushed events wait delayInSeconds, run on the queue's consumer with bounded
// concurrency, and are redelivered when the consumer returns an InvocationError (after its
// retryAfter) or throws (FUNCTION_PLATFORM_UNKNOWN_ERROR, or FUNCTION_TIME_OUT when stopped at its time
// limit, with exponential backoff reaching 15 minutes). Since @forge/events 2 there is no retry count:
// runtime-reference/async-events-api ("Async events API") says events "are automatically retried
// within the retention window until they are successfully delivered", a window that "lasts for 24
// hours", and "If the retention window is exceeded due to app level errors, the Async Event is
// dropped"; the 1.x "Async Events were retried 4 times" (async-events-api-version-2-upgrade) is gone.
// maxRetries is only a test's way to lose an event sooner.
// A retry whose retryData is over Forge's 4 KB (limits-async-events, enforced since Nov 2025) is not
// made: the event is dropped, as a failure only the developer console would show.
// Each event remembers the initial invocation it descends from (its origin), for Forge's limit on
// push requests per origin (push-limits.ts): it holds that origin until it is delivered or dropped.

export interface RetryContext {
  retryCount: number;
  retryReason: string;
  retryData?: unknown;
  /** Set as the event is delivered; remainingTimeMs is in the app's (unscaled) time, as its retryAfter is. */
  retentionWindow?: { startTime: string; remainingTimeMs: number };
}

export interface PushedEvent {
  body: Record<string, unknown>;
  delayInSeconds?: number;
  concurrency?: { key: string; limit: number };
}

export interface QueuedEvent extends PushedEvent {
  eventId: string;
  jobId: string;
  queueName: string;
  /** Epoch milliseconds: persisted absolute, so a restarted host keeps the schedule. */
  dueAt: number;
  retryContext?: RetryContext;
  /** The initial invocation this event descends from (absent in state files from before origins were kept). */
  origin?: string;
  /** Epoch milliseconds it was enqueued, where its retention window starts (absent in older state files: restored ones start anew). */
  enqueuedAt?: number;
}

/** Counts what still belongs to each origin (push-limits.ts). */
export interface OriginHolds {
  hold(origin: string): void;
  release(origin: string): void;
}

export const MAX_RETRY_DATA_BYTES = 4 * 1024;

type DropKind = 'retries-exhausted' | 'no-consumer' | 'retry-data-too-big';

export interface QueueDeps {
  hasConsumer(queueName: string): boolean;
  /** Runs the consumer; resolves with what it returned. */
  deliver(event: QueuedEvent): Promise<unknown>;
  onDropped(event: QueuedEvent, kind: DropKind, message: string): void;
  onChange(): void;
  timeScale: number;
  /** Unset: no count, only the retention window, as Forge. */
  maxRetries?: number;
  /** The retention window, in unscaled seconds. Default Forge's. */
  retentionWindowSeconds?: number;
  /** False: a redelivery's context tells nothing of the window, as on a platform of @forge/events 1.x. */
  reportRetentionWindow?: boolean;
  concurrency: number;
  /**
   * False: events sharing a concurrency key run at once, as on a platform that does not hold them back.
   * Forge documents `concurrency` only as a field of a pushed event, never what it promises.
   */
  honourConcurrencyKeys?: boolean;
  origins?: OriginHolds;
}

interface Retry {
  afterSeconds: number;
  reason: string;
  data?: unknown;
}

/**
 * runtime-reference/async-events-api, RetryOptions: a longer retryAfter "is lowered to 900 seconds";
 * its own retries' "intervals reaching up to approximately 15 minutes between attempts".
 */
const MAX_RETRY_AFTER_SECONDS = 900;

/** "It begins when the Async Event is successfully enqueued and lasts for 24 hours" (extended only for platform-level errors, which this host has none of). */
export const RETENTION_WINDOW_SECONDS = 24 * 3600;

/** `new InvocationError(...)` (and the older `QueueResponse.retry()`) reach the platform as `{ _retry: true, retryOptions? }`. */
function retryRequested(result: unknown): Retry | undefined {
  if (typeof result !== 'object' || result === null || (result as { _retry?: unknown })._retry !== true) return undefined;
  const options = (result as { retryOptions?: { retryAfter?: number; retryReason?: string; retryData?: unknown } }).retryOptions;
  const afterSeconds = Math.min(MAX_RETRY_AFTER_SECONDS, options?.retryAfter ?? 1);
  return { afterSeconds, reason: options?.retryReason ?? 'FUNCTION_RETRY_REQUEST', data: options?.retryData };
}

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/** A test's fault on the next `remaining` pushed events whose body matches. */
interface BodyRule {
  match: (body: Record<string, unknown>) => boolean;
  remaining: number;
}

interface Job {
  total: number;
  success: number;
  failed: number;
  cancelled: number;
}

export class AsyncEventQueue {
  private waiting: QueuedEvent[] = [];
  private running = new Set<QueuedEvent>();
  private runningByKey = new Map<string, number>();
  private jobs = new Map<string, Job>();
  private counts = { pushed: 0, delivered: 0, retried: 0, dropped: 0 };
  private sizes: LargestSizes = { pushBytes: 0, eventBytes: 0, retryDataBytes: 0 };
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly losing: BodyRule[] = [];
  private readonly doubling: BodyRule[] = [];

  constructor(private readonly deps: QueueDeps) {}

  /** Forge does not promise delivery: the next `times` events pushed whose body matches are accepted and never run. */
  lose(match: (body: Record<string, unknown>) => boolean, times = 1): void {
    this.losing.push({ match, remaining: times });
  }

  /** Forge delivers at least once: the next `times` events pushed whose body matches are delivered twice. */
  duplicate(match: (body: Record<string, unknown>) => boolean, times = 1): void {
    this.doubling.push({ match, remaining: times });
  }

  /** `origin`: the initial invocation the pushing one descends from. */
  push(queueName: string, jobId: string, events: PushedEvent[], origin?: string): void {
    this.sizes.pushBytes = Math.max(this.sizes.pushBytes, jsonBytes(events));
    for (const pushed of events) this.sizes.eventBytes = Math.max(this.sizes.eventBytes, jsonBytes(pushed));
    const job = this.jobs.get(jobId) ?? { total: 0, success: 0, failed: 0, cancelled: 0 };
    this.jobs.set(jobId, job);
    for (const pushed of events) {
      const now = Date.now();
      const event: QueuedEvent = { ...pushed, eventId: randomUUID(), jobId, queueName, dueAt: now + this.scaled(pushed.delayInSeconds ?? 0), enqueuedAt: now, ...(origin === undefined ? {} : { origin }) };
      this.counts.pushed += 1;
      job.total += 1;
      if (this.matched(this.losing, pushed.body)) continue;
      if (!this.deps.hasConsumer(queueName)) {
        this.drop(event, 'no-consumer', `no consumer listens on queue '${queueName}'`);
        continue;
      }
      this.admit(event);
      // The same event again (its id too), as a platform that delivers at least once sends it.
      if (this.matched(this.doubling, pushed.body)) {
        job.total += 1;
        this.admit({ ...event });
      }
    }
    this.deps.onChange();
    this.pump();
  }

  /** Events not yet delivered or dropped, running ones included. */
  pending(): number {
    return this.waiting.length + this.running.size;
  }

  stats(): Omit<QueueStats, 'refused' | 'peakPushesPerOrigin'> {
    return { ...this.counts, pending: this.pending(), largest: { ...this.sizes } };
  }

  jobStats(jobId: string): { success: number; inProgress: number; failed: number } | undefined {
    const job = this.jobs.get(jobId);
    return job && { success: job.success, failed: job.failed, inProgress: job.total - job.success - job.failed - job.cancelled };
  }

  /** Cancels the job's events that have not started; false when the job is unknown. */
  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId);
    if (!job) return false;
    const cancelled = this.waiting.filter((e) => e.jobId === jobId);
    this.waiting = this.waiting.filter((e) => e.jobId !== jobId);
    for (const event of cancelled) this.settled(event);
    job.cancelled += cancelled.length;
    this.deps.onChange();
    return true;
  }

  snapshot(): QueuedEvent[] {
    return [...this.running, ...this.waiting];
  }

  /** Resumes events a previous host left pending. */
  restore(events: QueuedEvent[]): void {
    for (const saved of events) {
      const event = { ...saved, enqueuedAt: saved.enqueuedAt ?? Date.now() };
      if (this.deps.hasConsumer(event.queueName)) this.admit(event);
      else this.drop(event, 'no-consumer', `no consumer listens on queue '${event.queueName}' any more`);
    }
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Whether a rule matches `body`, using up one of its times. */
  private matched(rules: BodyRule[], body: Record<string, unknown>): boolean {
    const index = rules.findIndex((r) => r.match(body));
    if (index < 0) return false;
    if (--rules[index]!.remaining <= 0) rules.splice(index, 1);
    return true;
  }

  private scaled(seconds: number): number {
    return seconds * 1000 * this.deps.timeScale;
  }

  /** A new event (pushed, or restored from a state file): it holds its origin until it settles. */
  private admit(event: QueuedEvent): void {
    if (event.origin !== undefined) this.deps.origins?.hold(event.origin);
    this.enqueue(event);
  }

  private settled(event: QueuedEvent): void {
    if (event.origin !== undefined) this.deps.origins?.release(event.origin);
  }

  private drop(event: QueuedEvent, kind: DropKind, message: string): void {
    this.counts.dropped += 1;
    const job = this.jobs.get(event.jobId);
    if (job) job.failed += 1;
    this.deps.onDropped(event, kind, message);
  }

  private runningWith(key: string): number {
    return this.runningByKey.get(key) ?? 0;
  }

  private countRunning(event: QueuedEvent, delta: 1 | -1): void {
    const key = event.concurrency?.key;
    if (key === undefined) return;
    const count = this.runningWith(key) + delta;
    if (count > 0) this.runningByKey.set(key, count);
    else this.runningByKey.delete(key);
  }

  /** Index of the first waiting event due after `now` (`waiting` is ordered by due time). */
  private firstDueAfter(now: number): number {
    let low = 0;
    let high = this.waiting.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.waiting[mid]!.dueAt <= now) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Keeps `waiting` ordered by due time (first in, first out among equals) without re-sorting on every pump. */
  private enqueue(event: QueuedEvent): void {
    let low = 0;
    let high = this.waiting.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.waiting[mid]!.dueAt <= event.dueAt) low = mid + 1;
      else high = mid;
    }
    this.waiting.splice(low, 0, event);
  }

  private pump(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const now = Date.now();
    // One pass over the due events; those held back by their concurrency key stay in order. A burst
    // of thousands of events for a few keys made a scan per started event quadratic.
    const due = this.firstDueAfter(now);
    const started: QueuedEvent[] = [];
    const kept: QueuedEvent[] = [];
    for (let i = 0; i < due; i++) {
      const event = this.waiting[i]!;
      const full = this.running.size >= this.deps.concurrency;
      const held = event.concurrency && this.deps.honourConcurrencyKeys !== false && this.runningWith(event.concurrency.key) >= event.concurrency.limit;
      if (full || held) {
        kept.push(event);
        if (full) {
          for (let j = i + 1; j < due; j++) kept.push(this.waiting[j]!);
          break;
        }
        continue;
      }
      this.running.add(event);
      this.countRunning(event, 1);
      started.push(event);
    }
    if (started.length) this.waiting = kept.concat(this.waiting.slice(due));
    for (const event of started) void this.run(event);
    const next = this.waiting[this.firstDueAfter(now)];
    if (next) this.timer = setTimeout(() => this.pump(), next.dueAt - now).unref();
  }

  private windowEnd(event: QueuedEvent): number {
    return (event.enqueuedAt ?? Date.now()) + this.scaled(this.deps.retentionWindowSeconds ?? RETENTION_WINDOW_SECONDS);
  }

  /** A redelivery tells the consumer how long its window has left, so it can park what a retry would lose. */
  private delivered(event: QueuedEvent): QueuedEvent {
    if (!event.retryContext || this.deps.reportRetentionWindow === false) return event;
    const remainingTimeMs = Math.max(0, Math.round((this.windowEnd(event) - Date.now()) / this.deps.timeScale));
    const startTime = new Date(event.enqueuedAt ?? Date.now()).toISOString();
    return { ...event, retryContext: { ...event.retryContext, retentionWindow: { startTime, remainingTimeMs } } };
  }

  private async run(event: QueuedEvent): Promise<void> {
    let retry: Retry | undefined;
    try {
      retry = retryRequested(await this.deps.deliver(this.delivered(event)));
    } catch (error) {
      // A consumer stopped at its time limit is retried as one (invoker.ts); any other failure is unknown to the platform.
      const reason = (error as { retryReason?: unknown } | null)?.retryReason === 'FUNCTION_TIME_OUT' ? 'FUNCTION_TIME_OUT' : 'FUNCTION_PLATFORM_UNKNOWN_ERROR';
      retry = { afterSeconds: Math.min(MAX_RETRY_AFTER_SECONDS, 2 ** (event.retryContext?.retryCount ?? 0)), reason };
    }
    this.running.delete(event);
    this.countRunning(event, -1);
    const retryCount = (event.retryContext?.retryCount ?? 0) + 1;
    const retryDataBytes = retry?.data === undefined ? 0 : jsonBytes(retry.data);
    this.sizes.retryDataBytes = Math.max(this.sizes.retryDataBytes, retryDataBytes);
    if (!retry) {
      this.counts.delivered += 1;
      const job = this.jobs.get(event.jobId);
      if (job) job.success += 1;
      this.settled(event);
    } else if (retryDataBytes > MAX_RETRY_DATA_BYTES) {
      this.drop(event, 'retry-data-too-big', `not retried: its retryData holds ${retryDataBytes} bytes, over Forge's ${MAX_RETRY_DATA_BYTES}`);
      this.settled(event);
    } else if (Date.now() + this.scaled(retry.afterSeconds) > this.windowEnd(event)) {
      this.drop(event, 'retries-exhausted', `dropped after ${retryCount} attempts: its retention window closes before the next (last: ${retry.reason})`);
      this.settled(event);
    } else if (this.deps.maxRetries !== undefined && retryCount > this.deps.maxRetries) {
      this.drop(event, 'retries-exhausted', `dropped after ${retryCount} attempts (last: ${retry.reason})`);
      this.settled(event);
    } else {
      // A redelivery is the platform's, not a push: it keeps the event's origin and costs it nothing.
      this.counts.retried += 1;
      const retryContext = { retryCount, retryReason: retry.reason, ...(retry.data === undefined ? {} : { retryData: retry.data }) };
      this.enqueue({ ...event, dueAt: Date.now() + this.scaled(retry.afterSeconds), retryContext });
    }
    this.deps.onChange();
    this.pump();
  }
}
