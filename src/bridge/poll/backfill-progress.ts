import { z } from 'zod';
import { budgetView, etaSeconds } from '../../core/backfill/eta';
import { RateBudget } from '../../core/budget/rate-budget';
import { kvKey } from '../../core/keys';
import type { KeyValueStore } from '../../core/ports';
import { passesDone } from './first-passes';
import { readReread, rereadPassEnded, RereadStatus } from './reread';

// The first pass over each selected repository replays BRIDGE_BACKFILL_DAYS of history: on a large
// instance it takes hours (on Cloud, many of its hours of requests). `status` says how far it has got.
// A repository's first pass is done once its cursor holds a good poll; how many are selected only the
// listing knows, and when the backfill began and what it has cost only the running bridge: it keeps
// those here, once per pass and after each repository, so `status` reads them beside it without tokens.

const KEY = kvKey('bridge', 'backfill');

export const BackfillRecord = z.object({
  edition: z.enum(['datacenter', 'cloud']),
  /** Repositories this bridge polls (its shard's share), as the last listing found them. */
  repositories: z.number(),
  /** When a pass first met a selected repository without a complete first pass; absent: none since this record was kept. */
  startedAt: z.number().optional(),
  /** First passes already complete then: the observed rate counts only the ones done since. */
  doneAtStart: z.number().default(0),
  /** Bitbucket requests made since `startedAt`, across restarts. */
  requests: z.number().default(0),
  finishedAt: z.number().optional(),
  /** Cloud: BITBUCKET_REQUESTS_PER_HOUR, the hour `status` (which runs without the configuration) plans the time left against. */
  requestsPerHour: z.number().optional(),
});
export type BackfillRecord = z.infer<typeof BackfillRecord>;

async function readRecord(store: KeyValueStore): Promise<BackfillRecord | undefined> {
  const parsed = BackfillRecord.safeParse(await store.get(KEY));
  return parsed.success ? parsed.data : undefined;
}

export interface BackfillTracker {
  /** After each repository's poll: adds the Bitbucket requests made since the last count. */
  counted(): Promise<void>;
  /** At the pass's end: the backfill is finished once every listed repository's first pass is. */
  passEnded(now: number): Promise<void>;
}

export interface PassStart {
  edition: BackfillRecord['edition'];
  repositories: number;
  requestsPerHour?: number;
  now: number;
  /** Bitbucket requests this process has made so far (its metrics' counter). */
  requestsMade(): Promise<number>;
}

/** Called once a pass has listed its repositories. */
export async function trackBackfill(store: KeyValueStore, pass: PassStart): Promise<BackfillTracker> {
  const stored = await readRecord(store);
  // The other edition's record tells nothing about this one's repositories.
  const previous = stored?.edition === pass.edition ? stored : undefined;
  const base = { edition: pass.edition, repositories: pass.repositories, ...(pass.requestsPerHour !== undefined ? { requestsPerHour: pass.requestsPerHour } : {}) };
  let record: BackfillRecord;
  if (previous?.startedAt !== undefined && previous.finishedAt === undefined) record = { ...previous, ...base };
  else {
    // None under way: one begins when a listed repository has not had its first pass (the first start,
    // or one selected or created since); a state from before this record was kept has none to date.
    const done = await passesDone(store, pass.edition);
    record = done < pass.repositories ? { ...base, startedAt: pass.now, doneAtStart: done, requests: 0 } : { doneAtStart: done, requests: 0, ...previous, ...base };
  }
  await store.set(KEY, record);
  const running = () => record.startedAt !== undefined && record.finishedAt === undefined;
  let last = await pass.requestsMade();
  return {
    async counted() {
      if (!running()) return;
      const made = await pass.requestsMade();
      record = { ...record, requests: record.requests + made - last };
      last = made;
      await store.set(KEY, record);
    },
    async passEnded(now) {
      await rereadPassEnded(store, record.edition, record.repositories, now);
      if (!running() || (await passesDone(store, record.edition)) < record.repositories) return;
      record = { ...record, finishedAt: now };
      await store.set(KEY, record);
    },
  };
}

/** `status --json`'s `backfill`: the keys are part of the interface scripts rely on. */
export const BackfillStatus = z.object({
  /** `none`: no pass has listed the repositories yet. */
  state: z.enum(['none', 'running', 'done']),
  repositoriesDone: z.number(),
  repositories: z.number(),
  /** Data Center: pull requests read so far; null where the edition does not keep them apart (Cloud). */
  pullRequests: z.number().nullable(),
  /** Bitbucket requests the backfill has made so far. */
  requests: z.number(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** From the rate observed so far (Cloud: and the hour's request budget); null until a repository is done. */
  etaSeconds: z.number().nullable(),
  /** Cloud: the hour's request budget is spent, and reads go on at this time. */
  budgetWaitUntil: z.string().nullable(),
  /** The last `backfill --days` past the first pass's window: every repository read again, a backfill of its own. */
  reread: RereadStatus.default(null),
});
export type BackfillStatus = z.infer<typeof BackfillStatus>;

export async function readBackfill(store: KeyValueStore & { count(prefix: string): number }, now: number): Promise<BackfillStatus> {
  const record = await readRecord(store);
  const iso = (ms?: number) => (ms === undefined ? null : new Date(ms).toISOString());
  const none: BackfillStatus = { state: 'none', repositoriesDone: 0, repositories: 0, pullRequests: null, requests: 0, startedAt: null, finishedAt: null, etaSeconds: null, budgetWaitUntil: null, reread: null };
  if (!record || record.repositories === 0) return none;
  const done = Math.min(record.repositories, await passesDone(store, record.edition));
  const running = record.startedAt !== undefined && record.finishedAt === undefined;
  const status: BackfillStatus = {
    ...none,
    state: running ? 'running' : 'done',
    repositoriesDone: done,
    repositories: record.repositories,
    pullRequests: record.edition === 'datacenter' ? store.count(`${kvKey('dc', 'pr')}:`) : null,
    requests: record.requests,
    startedAt: iso(record.startedAt),
    finishedAt: iso(record.finishedAt),
    reread: await readReread(store, record.edition, record.repositories),
  };
  if (!running) return status;
  const budget = record.edition === 'cloud' ? await new RateBudget(store, { now: () => now }, { limitPerHour: async () => record.requestsPerHour ?? 1000 }).snapshot() : undefined;
  const finished = done - record.doneAtStart;
  const left = record.repositories - done;
  let eta: number | null = null;
  if (finished > 0) {
    // Repositories differ in size: the rate so far is the best guess there is, and it firms up as it goes.
    eta = Math.ceil((left * (now - record.startedAt!)) / finished / 1000);
    // Cloud spends its hour in a burst, then waits: the rate of the first burst would promise minutes
    // for hours of waiting, so the requests still to make are also planned against the hour (as the
    // Forge app plans its own), and the later of the two is the estimate.
    if (budget && record.requests > 0) eta = Math.max(eta, etaSeconds(Math.ceil((left * record.requests) / finished), budgetView(budget, now)));
  }
  const waiting = budget && budget.available < 1 ? budget.availableAt(1) : undefined;
  return { ...status, etaSeconds: eta, budgetWaitUntil: iso(waiting) };
}
