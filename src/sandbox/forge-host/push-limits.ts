// Forge's limits on async-event pushes (developer.atlassian.com/platform/forge/limits-async-events,
// updated Feb 2026), per installation:
//  * cyclic invocation: at most 1,000 push requests "across all handlers originating from a single
//    initial function invocation, including requests made by downstream handlers". The initial
//    invocation (a product trigger, a resolver, a scheduled trigger) is the origin; a consumer
//    invocation belongs to the origin of the event it runs for, retries included. Past the limit the
//    platform answers 405, which @forge/events raises as InvocationLimitReachedError.
//  * at most 500 events pushed per minute: 429, RateLimitError ("retry adding events after a minute").
// Refused pushes are not counted: nothing was queued. Without this a host would let the app grow
// lineages Forge cuts off, and no test would see it.

export interface AsyncEventLimits {
  /** Push requests one origin and everything descending from it may make. Forge: 1,000. */
  pushRequestsPerOrigin: number;
  /** Events the installation may push in any one minute (the minute scaled by timeScale). Forge: 500. */
  eventsPerMinute: number;
}

export const FORGE_ASYNC_EVENT_LIMITS: AsyncEventLimits = { pushRequestsPerOrigin: 1000, eventsPerMinute: 500 };

export type PushVerdict = 'accepted' | 'invocation-limit' | 'rate-limit';

export interface RefusedPushes {
  invocationLimit: number;
  rateLimit: number;
}

type Refusal = Exclude<PushVerdict, 'accepted'>;

interface Origin {
  pushes: number;
  /** Running invocations and queued events of this origin: at none, nothing can push for it again. */
  holders: number;
}

export class PushLimits {
  private readonly origins = new Map<string, Origin>();
  private recent: Array<{ at: number; events: number }> = [];
  private readonly refusals: RefusedPushes = { invocationLimit: 0, rateLimit: 0 };
  private peak = 0;
  private injected: Array<{ verdict: Refusal; match: (body: Record<string, unknown>) => boolean; remaining: number }> = [];

  constructor(
    private readonly limits: AsyncEventLimits,
    /** The rate limit's minute, in real milliseconds (scaled like the queue's delays). */
    private readonly windowMs: number,
  ) {}

  /** An invocation of `origin` started, or an event of it was queued. */
  hold(origin: string): void {
    const entry = this.origins.get(origin);
    if (entry) entry.holders += 1;
    else this.origins.set(origin, { pushes: 0, holders: 1 });
  }

  /** The counterpart of hold(); the origin is forgotten once nothing of it is left. */
  release(origin: string): void {
    const entry = this.origins.get(origin);
    if (!entry) return;
    entry.holders -= 1;
    if (entry.holders <= 0) this.origins.delete(origin);
  }

  /**
   * The next `times` push requests holding an event whose body matches are refused as `verdict`,
   * whatever the counts: the installation's other traffic, which a test cannot easily make.
   */
  refuseNext(verdict: Refusal, match: (body: Record<string, unknown>) => boolean, times = 1): void {
    this.injected.push({ verdict, match, remaining: times });
  }

  /** Decides one push request of these event bodies made on behalf of `origin`, and counts it when accepted. */
  admit(origin: string | undefined, bodies: Array<Record<string, unknown>>, now = Date.now()): PushVerdict {
    const events = bodies.length;
    const rule = this.injected.find((r) => bodies.some((body) => r.match(body)));
    if (rule) {
      rule.remaining -= 1;
      if (rule.remaining <= 0) this.injected = this.injected.filter((r) => r !== rule);
      this.refusals[rule.verdict === 'invocation-limit' ? 'invocationLimit' : 'rateLimit'] += 1;
      return rule.verdict;
    }
    const entry = origin === undefined ? undefined : this.origins.get(origin);
    if (entry && entry.pushes >= this.limits.pushRequestsPerOrigin) {
      this.refusals.invocationLimit += 1;
      return 'invocation-limit';
    }
    this.recent = this.recent.filter((push) => push.at > now - this.windowMs);
    const inWindow = this.recent.reduce((sum, push) => sum + push.events, 0);
    if (inWindow + events > this.limits.eventsPerMinute) {
      this.refusals.rateLimit += 1;
      return 'rate-limit';
    }
    this.recent.push({ at: now, events });
    if (entry) {
      entry.pushes += 1;
      this.peak = Math.max(this.peak, entry.pushes);
    }
    return 'accepted';
  }

  /** Push requests `origin` has made so far (0 once it is forgotten). */
  pushesOf(origin: string): number {
    return this.origins.get(origin)?.pushes ?? 0;
  }

  refused(): RefusedPushes {
    return { ...this.refusals };
  }

  /** The most push requests any one origin has made: how close the app came to the limit. */
  peakPerOrigin(): number {
    return this.peak;
  }
}
