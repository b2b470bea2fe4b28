import { RateBudget } from '../../src/core/budget/rate-budget';
import { MemoryStore } from '../../src/sandbox/memory-store';

// The shared request budget: planned work never spends beyond the rolling hour, Bitbucket's 429s and
// rate-limit headers tighten it, and it tells when requests become available again.

const headers = (values: Record<string, string> = {}) => ({ get: (name: string) => values[name.toLowerCase()] ?? null });

function setup(limit = 100) {
  let now = Date.UTC(2026, 10, 25, 12, 0, 0);
  const clock = { now: () => now };
  const store = new MemoryStore(clock);
  const make = () => new RateBudget(store, clock, { limitPerHour: async () => limit, backoffSeconds: async () => 60 });
  return { clock, store, make, advance: (ms: number) => void (now += ms) };
}

describe('rate budget', () => {
  it('grants planned work the hour minus a reserve for live events, across function instances', async () => {
    const { make, advance } = setup(100);
    const live = make();
    const job = make();
    expect((await job.snapshot()).available).toBe(90);
    for (let i = 0; i < 30; i++) live.noteRequest();
    await live.flush();
    advance(60_000);
    for (let i = 0; i < 50; i++) job.noteRequest();
    const snapshot = await job.snapshot();
    expect(snapshot.used).toBe(80);
    expect(snapshot.available).toBe(10);
  });

  it('frees requests as their minute leaves the rolling hour, and says when', async () => {
    const { make, advance, clock } = setup(100);
    const budget = make();
    for (let i = 0; i < 90; i++) budget.noteRequest();
    const start = clock.now();
    const full = await budget.snapshot();
    expect(full.available).toBe(0);
    // Made within 12:00, they count until 13:01: one made at 12:00:59 is inside Bitbucket's hour until then.
    expect(full.availableAt(20)).toBe(start + 60_000 + 3_600_000);
    advance(3_600_000 + 30_000);
    expect((await budget.snapshot()).available).toBe(0);
    advance(30_000);
    expect((await budget.snapshot()).available).toBe(90);
  });

  it('stops planned work after a 429 without Retry-After, doubling the wait on each one in a row', async () => {
    const { make, advance, clock } = setup(1000);
    const budget = make();
    budget.noteResponse(429, headers());
    expect((await budget.snapshot()).blockedUntil).toBe(clock.now() + 60_000);
    // More 429s from the same burst (parallel requests) do not escalate the wait.
    budget.noteResponse(429, headers());
    expect((await budget.snapshot()).blockedUntil).toBe(clock.now() + 60_000);
    // One after the wait ran out does.
    advance(60_001);
    budget.noteResponse(429, headers());
    expect((await budget.snapshot()).blockedUntil).toBe(clock.now() + 120_000);
    advance(120_001);
    budget.noteResponse(200, headers());
    await budget.flush();
    expect((await budget.snapshot()).available).toBe(900);
    budget.noteResponse(429, headers());
    expect((await budget.snapshot()).blockedUntil).toBe(clock.now() + 60_000);
  });

  it('ends a run of 429s with a success in another function instance', async () => {
    const { make, advance, clock } = setup(1000);
    const first = make();
    first.noteResponse(429, headers());
    await first.flush();
    advance(60_001);
    // A fresh instance (Forge starts them freely) succeeds after the wait: the next 429 starts over.
    const second = make();
    await second.snapshot();
    second.noteResponse(200, headers());
    await second.flush();
    const third = make();
    third.noteResponse(429, headers());
    expect((await third.snapshot()).blockedUntil).toBe(clock.now() + 60_000);
  });

  it('makes requests available again when a 429 wait ends, not when the hour rolls', async () => {
    const { make, clock } = setup(1000);
    const budget = make();
    for (let i = 0; i < 10; i++) budget.noteRequest();
    budget.noteResponse(429, headers());
    expect((await budget.snapshot()).availableAt(1)).toBe(clock.now() + 60_000);
  });

  it('honours Retry-After and takes the lower limit Bitbucket states', async () => {
    const { make, clock } = setup(5000);
    const budget = make();
    budget.noteResponse(200, headers({ 'x-ratelimit-limit': '1000' }));
    expect((await budget.snapshot()).limit).toBe(1000);
    budget.noteResponse(429, headers(), 300);
    expect((await budget.snapshot()).blockedUntil).toBe(clock.now() + 300_000);
  });

  it('pauses planned work when Bitbucket says the limit is near', async () => {
    const { make, clock } = setup(1000);
    const budget = make();
    budget.noteResponse(200, headers({ 'x-ratelimit-nearlimit': 'true' }));
    const snapshot = await budget.snapshot();
    expect(snapshot.available).toBe(0);
    expect(snapshot.blockedUntil).toBe(clock.now() + 300_000);
  });

  it('keeps when a spell of 429s began, across instances, until none has come for longer than the longest backoff', async () => {
    const { make, advance, clock } = setup(100);
    const first = make();
    expect((await first.snapshot()).limitedSince).toBeUndefined();
    first.noteResponse(429, headers());
    await first.flush();
    const start = clock.now();
    // Another instance's 429 half an hour on (the longest backoff) is the same spell; successes between do not end it.
    advance(30 * 60_000);
    const second = make();
    second.noteResponse(200, headers());
    second.noteResponse(429, headers());
    await second.flush();
    advance(40 * 60_000);
    first.noteResponse(200, headers());
    await first.flush();
    expect((await make().snapshot()).limitedSince).toBe(start);
    // No 429 for over 45 minutes: the spell is over, and the next 429 starts another.
    advance(6 * 60_000);
    expect((await make().snapshot()).limitedSince).toBeUndefined();
    first.noteResponse(429, headers());
    await first.flush();
    expect((await make().snapshot()).limitedSince).toBe(clock.now());
  });
});
