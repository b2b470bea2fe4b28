import { randomUUID } from 'node:crypto';
import type { Clock, KeyValueStore } from '../ports';

// Bitbucket Cloud allows about 1,000 API requests per rolling hour for most installations, and answers
// 429 (plain text, usually without Retry-After) beyond it. Backfill, reconciliation and the live path
// share that allowance, so it is a budget the scheduler plans against: every request is counted in
// per-minute records (one per function instance, so instances never race on a key); a job asks how
// much it may spend before it starts; 429s and X-RateLimit-* headers tighten the budget.

const USED = 'budget:used:';
const STATE = 'budget:state';
const HOUR_MS = 3_600_000;

interface BudgetState {
  /** No request before this instant (after a 429). */
  blockedUntil?: number;
  /** A tighter limit learnt from Bitbucket, valid until `until`. */
  tightened?: { limit: number; until: number };
  /** Consecutive 429s, for the backoff when Bitbucket gives no Retry-After. */
  strikes?: number;
  /** The first 429 of a run with no pause longer than LIMITED_GAP_MS between them, and the latest. */
  limited?: { since: number; lastAt: number };
}

/** Longer than the longest backoff (30 minutes): a run of 429s with no longer pause is one spell of limiting. */
const LIMITED_GAP_MS = 45 * 60_000;

export interface BudgetSnapshot {
  limit: number;
  /** What planned work may make per rolling hour (the limit less the live reserve). */
  planned: number;
  used: number;
  /** What planned work may still spend in this rolling hour (the live path keeps a reserve). */
  available: number;
  blockedUntil?: number;
  /** When Bitbucket's 429s began, while they go on (none for LIMITED_GAP_MS ends a spell). */
  limitedSince?: number;
  /** When at least `need` requests become available again, if they are not now. */
  availableAt(need: number): number;
}

export class RateBudget {
  private readonly instance = randomUUID().slice(0, 8);
  /** This instance's requests per minute, and which minutes changed since the last write. */
  private readonly counts = new Map<string, number>();
  private readonly changed = new Set<string>();
  private state: BudgetState | undefined;
  private stateDirty = false;

  constructor(
    private readonly store: KeyValueStore,
    private readonly clock: Clock,
    private readonly options: {
      /** Requests per rolling hour the admin allows (default 1,000). */
      limitPerHour: () => Promise<number>;
      /** The first wait after a 429 without Retry-After, doubled on each one in a row (default 60 s). */
      backoffSeconds?: () => Promise<number>;
      /** Share of the hour kept for live events, which are never planned (default 10%). */
      reserve?: number;
    },
  ) {}

  /** A 429 seen since the last write: its Retry-After, if Bitbucket sent one. */
  private rateLimited: { retryAfterSeconds?: number } | undefined;
  /** This instance recorded a strike that a later success should clear. */
  private struck = false;

  noteRequest(count = 1): void {
    const minute = minuteKey(this.clock.now());
    this.counts.set(minute, (this.counts.get(minute) ?? 0) + count);
    this.changed.add(minute);
  }

  noteResponse(status: number, headers: { get(name: string): string | null }, retryAfterSeconds?: number): void {
    const now = this.clock.now();
    const state = this.state ?? {};
    const headerLimit = Number(headers.get('x-ratelimit-limit'));
    // Bitbucket states the installation's real allowance: remember it (rewritten once it changes or ages).
    const knownLimit = state.tightened && state.tightened.until - now > HOUR_MS / 2 ? state.tightened.limit : undefined;
    const newLimit = Number.isFinite(headerLimit) && headerLimit > 0 && headerLimit !== knownLimit;
    if (newLimit) state.tightened = { limit: headerLimit, until: now + HOUR_MS };
    // Bitbucket's own warning that the hour's allowance is nearly spent: planned work waits a while.
    if (headers.get('x-ratelimit-nearlimit') === 'true') state.blockedUntil = Math.max(state.blockedUntil ?? 0, now + 5 * 60_000);
    if (status === 429) this.rateLimited = { ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
    // A success ends a run of 429s: the next one starts the backoff from its base again.
    else if (status < 400 && this.struck) {
      state.strikes = 0;
      this.struck = false;
      this.stateDirty = true;
    }
    this.state = state;
    this.stateDirty = this.stateDirty || status === 429 || newLimit || headers.get('x-ratelimit-nearlimit') === 'true';
  }

  /** Writes this instance's counts (one record per minute) and any lesson learnt from Bitbucket. */
  async flush(): Promise<void> {
    const writes: Array<Promise<void>> = [];
    for (const minute of this.changed) writes.push(this.store.set(`${USED}${minute}:${this.instance}`, this.counts.get(minute)!, { ttlSeconds: 2 * 3600 }));
    this.changed.clear();
    const stale = minuteKey(this.clock.now() - 2 * HOUR_MS);
    for (const minute of this.counts.keys()) if (minute < stale) this.counts.delete(minute);
    if (this.stateDirty && this.state) {
      const stored = (await this.store.get<BudgetState>(STATE)) ?? {};
      if (this.rateLimited) {
        // Parallel requests of one burst all get their 429: only one after the last wait ran out
        // escalates the backoff.
        const stillWaiting = (stored.blockedUntil ?? 0) > this.clock.now();
        const strikes = Math.max(stored.strikes ?? 0, this.state.strikes ?? 0) + (stillWaiting ? 0 : 1);
        const base = (await this.options.backoffSeconds?.()) ?? 60;
        // Without Retry-After (Bitbucket Cloud's usual 429), back off 1, 2, 4 … base units, up to 30 minutes.
        const wait = this.rateLimited.retryAfterSeconds ?? Math.min(1800, base * 2 ** (strikes - 1));
        const now = this.clock.now();
        const spell = stored.limited && now - stored.limited.lastAt <= LIMITED_GAP_MS ? stored.limited.since : now;
        this.state = { ...this.state, strikes, blockedUntil: Math.max(this.state.blockedUntil ?? 0, now + wait * 1000), limited: { since: spell, lastAt: now } };
        this.rateLimited = undefined;
        this.struck = true;
      }
      writes.push(this.store.set(STATE, merge(stored, this.state)));
      this.stateDirty = false;
    }
    await Promise.all(writes);
  }

  async snapshot(): Promise<BudgetSnapshot> {
    const now = this.clock.now();
    await this.flush(); // so this instance's own latest requests are in what it reads back
    const state = (await this.store.get<BudgetState>(STATE)) ?? {};
    const configured = await this.options.limitPerHour();
    const limit = state.tightened && state.tightened.until > now ? Math.min(configured, state.tightened.limit) : configured;
    const perMinute = await this.usageByMinute(now);
    const used = [...perMinute.values()].reduce((a, b) => a + b, 0);
    const planned = Math.floor(limit * (1 - (this.options.reserve ?? 0.1)));
    const blocked = state.blockedUntil && state.blockedUntil > now ? state.blockedUntil : undefined;
    const limitedSince = state.limited && now - state.limited.lastAt <= LIMITED_GAP_MS ? state.limited.since : undefined;
    const remaining = Math.max(0, planned - used);
    const available = blocked ? 0 : remaining;
    // Strikes another instance recorded end with this instance's next success (otherwise scattered
    // 429s across short-lived instances would add up to a 30-minute wait).
    if (state.strikes && !blocked) this.struck = true;
    return {
      limit,
      planned,
      used,
      available,
      ...(blocked ? { blockedUntil: blocked } : {}),
      ...(limitedSince !== undefined ? { limitedSince } : {}),
      availableAt(need: number) {
        if (remaining >= need) return blocked ?? now;
        // Requests leave the rolling hour as their minute ages out; find when enough have left.
        let freed = remaining;
        for (const [minute, count] of [...perMinute.entries()].sort()) {
          freed += count;
          if (freed >= need) return Math.max(blocked ?? 0, minuteStart(minute) + 60_000 + HOUR_MS);
        }
        return Math.max(blocked ?? 0, now + HOUR_MS);
      },
    };
  }

  private async usageByMinute(now: number): Promise<Map<string, number>> {
    // A minute's requests may have been made at its last second: they count until that minute's end
    // plus an hour, or a burst at the start of the next hour would overlap them inside Bitbucket's window.
    const oldest = minuteKey(now - HOUR_MS);
    const perMinute = new Map<string, number>();
    let cursor: string | undefined;
    do {
      const page = await this.store.list<number>(USED, { cursor, limit: 100 });
      for (const { key, value } of page.entries) {
        const minute = key.slice(USED.length, USED.length + 12);
        if (minute >= oldest) perMinute.set(minute, (perMinute.get(minute) ?? 0) + value);
      }
      cursor = page.cursor;
    } while (cursor);
    return perMinute;
  }
}

function merge(stored: BudgetState, mine: BudgetState): BudgetState {
  return {
    blockedUntil: Math.max(stored.blockedUntil ?? 0, mine.blockedUntil ?? 0) || undefined,
    tightened: mine.tightened ?? stored.tightened,
    strikes: mine.strikes ?? stored.strikes,
    // Another instance's later 429 wins over this one's earlier copy.
    limited: (mine.limited?.lastAt ?? -Infinity) >= (stored.limited?.lastAt ?? -Infinity) ? mine.limited : stored.limited,
  };
}

/** `202611251931` for 19:31 UTC on 25 November 2026: sorts as time does. */
export function minuteKey(at: number): string {
  return new Date(at).toISOString().slice(0, 16).replace(/\D/g, '');
}

function minuteStart(key: string): number {
  return Date.UTC(+key.slice(0, 4), +key.slice(4, 6) - 1, +key.slice(6, 8), +key.slice(8, 10), +key.slice(10, 12));
}
