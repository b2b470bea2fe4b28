import { backfillEta, budgetView, etaSeconds, remainingRequests, sharedRequests } from '../../src/core/backfill/eta';
import type { BackfillRecord } from '../../src/core/backfill/state';
import { RateBudget } from '../../src/core/budget/rate-budget';
import { MemoryStore } from '../../src/sandbox/memory-store';

// The backfill's time left: the requests left across every repository, at the shared budget's pace.

const record = (over: Partial<BackfillRecord>): BackfillRecord => ({
  repository: `{${Math.random()}}`,
  state: 'running',
  windowDays: 30,
  since: '2026-10-27T00:00:00Z',
  requestedAt: 0,
  run: '0',
  updatedAt: 0,
  done: 0,
  requests: 0,
  leftOutInARow: 0,
  skipped: [],
  skippedCount: 0,
  ...over,
});
const hour = { available: 900, plannedPerHour: 900 };

it('adds the repositories up: fifty that each fit in the hour do not, together', () => {
  const records = Array.from({ length: 50 }, () => record({ total: 16 }));
  // 16 pull requests at 1.5 requests each (the prior, per-pull-request stats): 1,200 requests, 300 beyond the hour.
  expect(remainingRequests(records[0]!, 'pullrequest')).toBe(24);
  expect(backfillEta(records, 'pullrequest', hour)).toBe(1200 + 60);
  // Any one of them alone would be done in about a second.
  expect(backfillEta(records.slice(0, 1), 'pullrequest', hour)).toBe(2);
});

it('gives one repository\'s time left in turn with the others carried: theirs until it ends, all of theirs if they end first', () => {
  expect(sharedRequests(30, [])).toBe(30);
  // Three others with more to do: each makes as many requests as it does until it ends.
  expect(sharedRequests(30, [100, 100, 100])).toBe(120);
  // Two that end first: all of theirs.
  expect(sharedRequests(30, [5, 10, 100])).toBe(75);
  // Ten alike: each one's time left is the whole backfill's.
  const records = Array.from({ length: 10 }, () => record({ total: 16 }));
  const own = remainingRequests(records[0]!, 'pullrequest');
  expect(etaSeconds(sharedRequests(own, Array(9).fill(own)), hour)).toBe(backfillEta(records, 'pullrequest', hour));
});

it('counts a repository still waiting for its record as one not yet started', () => {
  const records = Array.from({ length: 10 }, () => record({ total: undefined }));
  expect(backfillEta(records, 'pullrequest', hour, false, 90)).toBe(backfillEta(Array.from({ length: 100 }, () => record({ total: undefined })), 'pullrequest', hour));
  expect(backfillEta([], 'pullrequest', hour, false, 2)).toBe(Math.ceil(2 * 15 * 0.05));
  expect(backfillEta([], 'pullrequest', hour, false, 0)).toBeUndefined();
});

it('uses a repository\'s own pace once it has one, and the file-stats choice before', () => {
  expect(remainingRequests(record({ total: 20, done: 10, requests: 100 }), 'off')).toBe(100);
  // Every commit: the 18 pull requests left at the pull-request level, and the commits of all 20 (read after them).
  expect(remainingRequests(record({ total: 20, done: 2, requests: 100 }), 'commit')).toBe(Math.ceil(18 * 1.5) + 20 * 4);
  expect(remainingRequests(record({ total: undefined }), 'off')).toBe(15);
});

it('adds a request per pull request for build statuses when they are backfilled, until their phase has passed', () => {
  const listed = record({ total: 120, done: 120, requests: 200, cursor: { phase: 'refs' } });
  expect(remainingRequests(listed, 'pullrequest')).toBe(0);
  expect(remainingRequests(listed, 'pullrequest', true)).toBe(120);
  expect(remainingRequests(record({ total: 120, done: 120, requests: 250, cursor: { phase: 'statuses', page: 1, next: '10' } }), 'pullrequest', true)).toBe(60);
  expect(remainingRequests(record({ total: 120, done: 120, requests: 320, cursor: { phase: 'deployments' } }), 'pullrequest', true)).toBe(0);
  expect(backfillEta([listed], 'pullrequest', hour, true)).toBeGreaterThan(backfillEta([listed], 'pullrequest', hour) ?? 0);
});

it('counts every commit\'s file stats until the refs phase that reads them has passed, after every pull request is done', () => {
  // Every pull request done: the refs phase still reads a diffstat per commit (about four per pull request).
  const listed = record({ total: 120, done: 120, requests: 150, cursor: { phase: 'refs' } });
  expect(remainingRequests(listed, 'commit')).toBe(480);
  expect(backfillEta([listed], 'commit', hour)).toBeGreaterThan(0);
  expect(remainingRequests(listed, 'pullrequest')).toBe(0);
  // Half-way through the pull requests, at their own measured pace, and the commits' stats to come.
  expect(remainingRequests(record({ total: 120, done: 60, requests: 80, cursor: { phase: 'lifecycle' } }), 'commit')).toBe(80 + 480);
  expect(remainingRequests(record({ total: 120, done: 120, requests: 700, cursor: { phase: 'statuses' } }), 'commit')).toBe(0);
});

it('counts nothing for finished, failed or cancelled repositories, and says nothing when all are', () => {
  const ended = (['done', 'failed', 'cancelled'] as const).map((state) => record({ state, total: 10 }));
  expect(ended.map((r) => remainingRequests(r, 'pullrequest'))).toEqual([0, 0, 0]);
  expect(backfillEta(ended, 'pullrequest', hour)).toBeUndefined();
});

it('waits for the next hour when this one is spent', () => {
  expect(backfillEta([record({ total: 100 })], 'off', { available: 0, plannedPerHour: 50 })).toBe(3600 + 3);
});

it('says when the spent hour frees its requests, and counts down while it waits', async () => {
  let now = Date.UTC(2026, 10, 25, 12, 0, 0);
  const clock = { now: () => now };
  const budget = new RateBudget(new MemoryStore(clock), clock, { limitPerHour: async () => 1000 });
  // The backfill spent the hour's 900 planned requests in its first minute; 300 requests are left.
  budget.noteRequest(900);
  await budget.flush();
  const left = [record({ total: 200 })];
  const at = async (minute: number) => {
    now = Date.UTC(2026, 10, 25, 12, minute, 0);
    return backfillEta(left, 'pullrequest', budgetView(await budget.snapshot(), now));
  };
  // Nothing until 13:01, when the minute of 12:00 leaves the rolling hour; then 300 requests' work (15 s).
  expect(await at(10)).toBe(51 * 60 + 15);
  expect(await at(40)).toBe(21 * 60 + 15);
});

it('waits out a block after a 429 however little is left', async () => {
  let now = Date.UTC(2026, 10, 25, 12, 0, 0);
  const clock = { now: () => now };
  const budget = new RateBudget(new MemoryStore(clock), clock, { limitPerHour: async () => 1000, backoffSeconds: async () => 1800 });
  budget.noteRequest();
  budget.noteResponse(429, { get: () => null });
  await budget.flush();
  now += 60_000;
  // Three pull requests left (5 requests), Bitbucket blocking for 29 more minutes.
  expect(backfillEta([record({ total: 3 })], 'pullrequest', budgetView(await budget.snapshot(), now))).toBe(29 * 60 + 1);
});

it("leaves the reconciliation's steady draw out of the hours the backfill gets", async () => {
  const now = Date.UTC(2026, 10, 25, 12, 0, 0);
  const clock = { now: () => now };
  const budget = new RateBudget(new MemoryStore(clock), clock, { limitPerHour: async () => 1000 });
  // 1,800 requests left (1,200 pull requests at 1.5); 200 repositories reconciled every 15 minutes draw 800 an hour of the 900 planned.
  const left = [record({ total: 1200 })];
  const snapshot = await budget.snapshot();
  expect(backfillEta(left, 'pullrequest', budgetView(snapshot, now))).toBe(3600 + 90);
  // The hour's 900 now, then 100 an hour for the other 900: nine hours, not one.
  expect(backfillEta(left, 'pullrequest', budgetView(snapshot, now, 0, 800))).toBe(9 * 3600 + 90);
  // A reconciliation that wants more than the hour leaves the backfill a tenth of it, not nothing.
  expect(backfillEta(left, 'pullrequest', budgetView(snapshot, now, 0, 2000))).toBe(10 * 3600 + 90);
});
