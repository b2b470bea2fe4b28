import type { RateBudget } from '../budget/rate-budget';
import { settingsStore, type Preferences } from '../config/settings';
import type { CloudClient } from '../enrich/cloud/client';
import { repositoryGone, type Lookups } from '../enrich/cloud/lookups';
import { BitbucketError, errorMessage, InvalidInputError } from '../errors';
import { PayloadTooLargeError } from '../payload/limit';
import type { ForwardContext } from '../pipeline/context';
import { reconcileDraw } from '../reconcile/draw';
import { othersCarried, updateCarried } from './carried';
import { budgetView, etaSeconds, remainingRequests, sharedRequests, type BudgetView } from './eta';
import { phaseOrder, phases, skips, type Phase, type PhaseContext, type PhaseStep } from './phases';
import { primeRepositoryObjects } from './repository-objects';
import { failedTry, modeAt, restOfFeedSkipped, type StepFailure } from './retries';
import { getBackfill, newRun, saveBackfill, unparked, type BackfillRecord } from './state';
import { runStore } from './store';

// One piece of a repository's backfill: a bounded number of Bitbucket requests (never more than the
// rate budget grants) from where the last piece stopped, then the cursor is saved. The piece hands
// back the ids it staged; its chain (chains.ts) queues them with the next piece, in one push request.
// A piece that dies mid-way loses at most its current page: the cursor only moves after the page's
// deliveries are in the outbox, staging is idempotent, and the outbox sweep queues what nobody did.

export interface BackfillDeps {
  ctx: ForwardContext;
  client: CloudClient;
  lookups: Lookups;
  budget: RateBudget;
  preferences: Preferences;
  workspace: string;
  /** Requests one piece may make at most (each piece must end well inside the consumer's time limit). */
  maxRequestsPerPiece?: number;
  /**
   * When the invocation running the piece is stopped (ctx.clock's epoch milliseconds). One step may
   * read many pages, so the piece watches it between requests, not only between steps. None: no limit.
   */
  deadline?: number;
}

export type PieceOutcome =
  | { kind: 'done' }
  | { kind: 'continue'; delaySeconds: number }
  | { kind: 'stopped'; reason: string }
  /** Another chain carries the record now: this one has nothing more to do. */
  | { kind: 'superseded' };

/** The outcome, and the outbox ids the piece staged (to be queued). */
export type PieceResult = PieceOutcome & { staged: string[] };

const ORDER: Phase[] = phaseOrder;
/** A piece also ends after this long, even when its steps need no request (stats off, known refs). */
const PIECE_MS = 30_000;
/**
 * Kept back from the invocation's deadline beyond the slowest request so far: the step's bookkeeping,
 * the progress write, the budget's flush and the push of what the piece staged with its successor.
 */
const END_MARGIN_MS = 10_000;
/** How often a backfill waiting for paused deliveries looks again (well inside the watchdog's half hour). */
const PAUSED_RECHECK_SECONDS = 300;
const CANCELLED: PieceOutcome = { kind: 'stopped', reason: 'cancelled' };

/** `chain`: the chain of pieces this one belongs to (state.ts); another chain's record is not this piece's to advance. */
export async function runBackfillPiece(repository: string, deps: BackfillDeps, chain?: string): Promise<PieceResult> {
  const staged: string[] = [];
  const said: Said = {};
  const outcome = await runPiece(repository, deps, chain, staged, said);
  // The others' time left counts this one as it is now, not as the last start of chains found it; one
  // that ended (done, cancelled, failed, deleted) no longer takes turns.
  const ended = outcome.kind === 'done' || outcome.kind === 'stopped';
  if (ended || (outcome.kind === 'continue' && said.requestsLeft !== undefined)) {
    await updateCarried(deps.ctx.store, repository, ended ? undefined : said.requestsLeft).catch((error: unknown) => deps.ctx.log.warn({ repository, error: errorMessage(error) }, 'could not note the backfill\'s requests left for the others\' time left'));
  }
  return { ...outcome, staged };
}

/** What the piece last said of its repository's requests left. */
interface Said {
  requestsLeft?: number;
}

async function runPiece(repository: string, deps: BackfillDeps, chain: string | undefined, staged: string[], said: Said): Promise<PieceOutcome> {
  const { ctx } = deps;
  const stored = await getBackfill(ctx.store, repository);
  if (!stored || stored.state === 'cancelled' || stored.state === 'done' || stored.state === 'failed' || stored.state === 'gone') return { kind: 'stopped', reason: stored ? stored.state : 'no backfill requested' };
  // A message from before chains were named carries on only a record no chain has taken since.
  if (stored.chain !== undefined && chain !== stored.chain) return { kind: 'superseded' };
  // This chain carries it now, whoever parked it (a refused push, a hand-over whose retry came first).
  const record = unparked(stored);
  // The selection decides, not the record: a piece that was running when the repository was
  // deselected may have written its progress over the cancellation.
  const settings = settingsStore(ctx.store, ctx.secrets);
  if (!(await settings.isSelected(repository))) {
    await saveBackfill(ctx.store, { ...record, state: 'cancelled', updatedAt: ctx.clock.now() });
    return CANCELLED;
  }
  // PanDev paused deliveries (410, a web page at its URL) until an admin checks the connection again:
  // what a piece read now would only wait in the outbox, after spending the hour's Bitbucket requests
  // the live path and the reconciliation need. It looks again later; its record shows it is carried.
  if ((await settings.connection())?.disabled) {
    if ((await saveProgress(ctx, { ...record, state: 'running', updatedAt: ctx.clock.now() })) === 'cancelled') return CANCELLED;
    return { kind: 'continue', delaySeconds: PAUSED_RECHECK_SECONDS };
  }
  const snapshot = await deps.budget.snapshot();
  // Read once a piece, and only when the piece says how long is left.
  let sharing: Promise<Sharing> | undefined;
  const timeLeft = async (at: BackfillRecord, spentSince = 0) => {
    sharing ??= Promise.all([othersCarried(ctx.store, repository), reconcileDraw(ctx.store)]).then(([others, reconcile]) => ({ others, reconcile }));
    const { others, reconcile } = await sharing;
    const left = timeLeftOf(at, deps, budgetView(snapshot, ctx.clock.now(), spentSince, reconcile), others);
    said.requestsLeft = left.requestsLeft;
    return left;
  };
  const cap = Math.min(deps.maxRequestsPerPiece ?? 40, snapshot.available);
  if (cap <= 0) {
    const wait = Math.ceil((snapshot.availableAt(10) - ctx.clock.now()) / 1000);
    const waiting: BackfillRecord = { ...record, state: 'running', updatedAt: ctx.clock.now() };
    if ((await saveProgress(ctx, { ...waiting, ...(await timeLeft(waiting)) })) === 'cancelled') return CANCELLED;
    return { kind: 'continue', delaySeconds: Math.max(1, wait) };
  }
  const startRequests = deps.client.requests;
  const pieceEnds = ctx.clock.now() + PIECE_MS;
  let slowest = 0;
  const spent = () => deps.client.requests - startRequests;
  // Another request would not fit before the invocation must hand over, were it as slow as the slowest yet.
  const outOfTime = () => ctx.clock.now() >= pieceEnds || (deps.deadline !== undefined && ctx.clock.now() + slowest + END_MARGIN_MS > deps.deadline);
  let current: BackfillRecord = { ...(await withItsData(ctx, record)), state: 'running', startedAt: record.startedAt ?? ctx.clock.now(), updatedAt: ctx.clock.now() };
  let mode = modeAt(current);
  let stepping = false;
  const phaseCtx: PhaseContext = {
    ...deps,
    repository,
    since: Date.parse(record.since),
    data: runStore(ctx.store, repository, current.run),
    staged,
    spent,
    cap,
    exhausted: () => spent() >= cap || outOfTime(),
    get: async (request, schema) => {
      const began = ctx.clock.now();
      try {
        return await deps.client.get(request, schema);
      } finally {
        slowest = Math.max(slowest, ctx.clock.now() - began);
      }
    },
    get leavingOut() {
      return mode === 'leave-out';
    },
  };
  try {
    await primeRepositoryObjects(phaseCtx);
    // Time permitting or not, the first step runs: a piece that could not take one would hand over forever.
    for (let first = true; spent() < cap && (first || !outOfTime()); first = false) {
      const phase = (current.cursor?.phase ?? ORDER[0]!) as Phase;
      stepping = true;
      const step: PhaseStep = mode !== 'skip-feed' ? await phases[phase](phaseCtx, current) : await (skips[phase] ?? restOfFeed)(phaseCtx, current);
      stepping = false;
      if (step.record.skippedCount > current.skippedCount) ctx.log.warn({ repository, ...step.record.skipped.at(-1) }, 'backfill left something out after repeated failures');
      // Past its place: the failed tries there are over.
      const { retries: _over, ...passed } = step.record;
      current = { ...passed, leftOutInARow: mode === 'as-usual' || step.next === undefined ? 0 : current.leftOutInARow + 1, updatedAt: ctx.clock.now(), requests: record.requests + phaseCtx.spent() };
      mode = 'as-usual';
      if (step.next === undefined) {
        const following = ORDER[ORDER.indexOf(phase) + 1];
        if (!following) {
          current = { ...current, state: 'done', finishedAt: ctx.clock.now(), cursor: undefined, etaSeconds: 0 };
          await saveBackfill(ctx.store, current);
          ctx.log.info({ repository, done: current.done, total: current.total, skipped: current.skippedCount }, 'backfill finished');
          return { kind: 'done' };
        }
        current = { ...current, cursor: { phase: following } };
      } else {
        current = { ...current, cursor: { phase, next: step.next, ...(step.page !== undefined ? { page: step.page } : {}) } };
      }
      if ((await saveProgress(ctx, { ...current, ...(await timeLeft(current, phaseCtx.spent())) })) === 'cancelled') return CANCELLED;
    }
    if (spent() < cap && outOfTime()) ctx.log.info({ repository, requests: spent(), slowestMs: slowest }, 'backfill piece out of time; the next piece carries on from its place');
    return { kind: 'continue', delaySeconds: 0 };
  } catch (error) {
    // Not found, and the repository object not found either: it was deleted, which leaves nothing to
    // replay and nothing for an admin to fix, so it is skipped. Forbidden means the app lost access,
    // which an admin must see to. Either way this repository stops; the rest go on. A 404 from a feed
    // of a repository that is still there counts as any failure of its step.
    if (error instanceof BitbucketError && error.kind === 'not-found' && (await repositoryGone(deps.lookups, deps.workspace, repository))) {
      const name = current.name ?? (await deps.lookups.cachedRepository(repository).catch(() => undefined))?.name;
      await saveBackfill(ctx.store, { ...current, ...(name ? { name } : {}), state: 'gone', error: 'deleted in Bitbucket', updatedAt: ctx.clock.now() });
      ctx.log.info({ repository, error: error.message }, 'backfill skipped: the repository was deleted in Bitbucket');
      return { kind: 'stopped', reason: 'the repository was deleted' };
    }
    if (error instanceof BitbucketError && error.kind === 'forbidden') {
      const reason = `the app can no longer read this repository (${error.message})`;
      await saveBackfill(ctx.store, { ...current, state: 'failed', error: reason, updatedAt: ctx.clock.now() });
      ctx.log.warn({ repository, reason }, 'backfill stopped for this repository');
      return { kind: 'stopped', reason };
    }
    // After a 429 the budget knows how long to wait (Retry-After, or its own backoff), and the step
    // is not to blame. Other passing failures (5xx, network, a malformed answer), a request refused
    // in a step, and a fault that is not Bitbucket's (a storage throttle, a payload that would not
    // build) count against the step's place (retries.ts): tried later, then left out, never the whole
    // repository failed. One before any step is tried again in half a minute.
    const failure: StepFailure = error instanceof BitbucketError ? error : { kind: error instanceof InvalidInputError || error instanceof PayloadTooLargeError ? 'client' : 'server', message: errorMessage(error) };
    if (!(error instanceof BitbucketError) || error.transient || (stepping && (error.kind === 'client' || error.kind === 'not-found'))) {
      await deps.budget.flush();
      const retry = failure.kind === 'rate-limited' ? { record: current, delaySeconds: await rateLimitWait(deps) } : stepping ? failedTry(current, failure) : { record: current, delaySeconds: failure.retryAfterSeconds ?? 30 };
      ctx.log.warn({ repository, error: failure.message, tries: retry.record.retries?.count, retryInSeconds: retry.delaySeconds }, 'backfill piece interrupted; will resume');
      if ((await saveProgress(ctx, { ...retry.record, requests: record.requests + phaseCtx.spent(), updatedAt: ctx.clock.now(), error: failure.message })) === 'cancelled') return CANCELLED;
      return { kind: 'continue', delaySeconds: retry.delaySeconds };
    }
    const reason = errorMessage(error);
    await saveBackfill(ctx.store, { ...current, state: 'failed', error: reason, updatedAt: ctx.clock.now() });
    ctx.log.error({ repository, reason }, 'backfill failed');
    return { kind: 'stopped', reason };
  } finally {
    await deps.budget.flush();
  }
}

/**
 * The record, its run's data ready. A run that has not begun begins; one whose data has expired (a
 * backfill deselected for weeks, then selected again) starts over from the commits, because a
 * missing page would otherwise read as the end of its feed and the run would finish with history
 * missing. What it delivered already is not delivered twice (stable ids, the ledger).
 */
async function withItsData(ctx: BackfillDeps['ctx'], record: BackfillRecord): Promise<BackfillRecord> {
  const data = runStore(ctx.store, record.repository, record.run);
  if (!record.cursor) {
    await data.begin();
    return record;
  }
  if (await data.begun()) return record;
  // What it left out stays noted: events it sent without something are not sent again.
  const { cursor: _lost, total: _unknown, retries: _elsewhere, ...rest } = record;
  const fresh: BackfillRecord = { ...rest, run: newRun(ctx.clock.now()), done: 0, leftOutInARow: 0 };
  await runStore(ctx.store, record.repository, fresh.run).begin();
  ctx.log.warn({ repository: record.repository, phase: record.cursor.phase, expiredRun: record.run }, 'backfill working data expired; starting this repository again from its commits');
  return fresh;
}

/** Saves a step's progress; deselected meanwhile, the progress is kept under the cancellation and the piece stops. */
async function saveProgress(ctx: BackfillDeps['ctx'], record: BackfillRecord): Promise<'saved' | 'cancelled'> {
  const stored = await getBackfill(ctx.store, record.repository);
  const cancelled = stored?.state === 'cancelled';
  await saveBackfill(ctx.store, cancelled ? { ...record, state: 'cancelled' } : record);
  return cancelled ? 'cancelled' : 'saved';
}

/** This repository's requests left, and its time left at the budget's pace, in turn with the other carried records' pieces. */
/** What the time left shares the hour with: the other carried records' requests left, and the reconciliation's draw per hour. */
interface Sharing {
  others: number[];
  reconcile: number;
}

/**
 * This repository's requests left, and its time left: in turn with the other carried records' pieces,
 * at what the hour leaves the backfill beside the reconciliation, as the status counts the whole.
 */
function timeLeftOf(record: BackfillRecord, deps: BackfillDeps, budget: BudgetView, others: number[]): Pick<BackfillRecord, 'etaSeconds' | 'requestsLeft'> {
  const requestsLeft = remainingRequests(record, deps.preferences.commitStats, deps.preferences.backfillBuildStatuses);
  return { requestsLeft, etaSeconds: etaSeconds(sharedRequests(requestsLeft, others), budget) };
}

/** Leaves the rest of the current feed out. */
async function restOfFeed(_pc: PhaseContext, record: BackfillRecord): Promise<PhaseStep> {
  return { record: restOfFeedSkipped(record, record.cursor?.phase ?? ORDER[0]!) };
}

async function rateLimitWait(deps: BackfillDeps): Promise<number> {
  const snapshot = await deps.budget.snapshot();
  return Math.max(1, Math.ceil((snapshot.availableAt(1) - deps.ctx.clock.now()) / 1000));
}
