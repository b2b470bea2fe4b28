import type { BudgetSnapshot, RateBudget } from '../budget/rate-budget';
import { settingsStore, type Preferences } from '../config/settings';
import type { CloudClient } from '../enrich/cloud/client';
import type { Lookups } from '../enrich/cloud/lookups';
import { BitbucketError, errorMessage } from '../errors';
import type { ForwardContext } from '../pipeline/context';
import type { ForwardQueue } from '../pipeline/queue';
import { etaSeconds, remainingRequests, type BudgetView } from './eta';
import { phaseOrder, phases, type Phase, type PhaseContext } from './phases';
import { primeRepositoryObjects } from './repository-objects';
import { getBackfill, newRun, saveBackfill, type BackfillRecord } from './state';
import { runStore } from './store';

// One piece of a repository's backfill: a bounded number of Bitbucket requests (never more than the
// rate budget grants) from where the last piece stopped, then the cursor is saved and the next piece
// queued. A piece that dies mid-way loses at most its current page: the cursor only moves after the
// page's deliveries are in the outbox, and staging is idempotent.

export interface BackfillDeps {
  ctx: ForwardContext;
  client: CloudClient;
  lookups: Lookups;
  budget: RateBudget;
  queue: ForwardQueue;
  preferences: Preferences;
  workspace: string;
  /** Requests one piece may make at most (each piece must end well inside the consumer's time limit). */
  maxRequestsPerPiece?: number;
}

export type PieceOutcome =
  | { kind: 'done' }
  | { kind: 'continue'; delaySeconds: number }
  | { kind: 'stopped'; reason: string };

const ORDER: Phase[] = phaseOrder;
/** A piece also ends after this long, even when its steps need no request (stats off, known refs). */
const PIECE_MS = 30_000;
const CANCELLED: PieceOutcome = { kind: 'stopped', reason: 'cancelled' };

export async function runBackfillPiece(repository: string, deps: BackfillDeps): Promise<PieceOutcome> {
  const { ctx } = deps;
  const record = await getBackfill(ctx.store, repository);
  if (!record || record.state === 'cancelled' || record.state === 'done' || record.state === 'failed') return { kind: 'stopped', reason: record ? record.state : 'no backfill requested' };
  // The selection decides, not the record: a piece that was running when the repository was
  // deselected may have written its progress over the cancellation.
  if (!(await settingsStore(ctx.store, ctx.secrets).isSelected(repository))) {
    await saveBackfill(ctx.store, { ...record, state: 'cancelled', updatedAt: ctx.clock.now() });
    return CANCELLED;
  }
  const snapshot = await deps.budget.snapshot();
  const cap = Math.min(deps.maxRequestsPerPiece ?? 40, snapshot.available);
  if (cap <= 0) {
    const wait = Math.ceil((snapshot.availableAt(10) - ctx.clock.now()) / 1000);
    const waiting: BackfillRecord = { ...record, state: 'running', updatedAt: ctx.clock.now() };
    if ((await saveProgress(ctx, { ...waiting, etaSeconds: eta(waiting, deps, budgetView(snapshot, 0)) })) === 'cancelled') return CANCELLED;
    return { kind: 'continue', delaySeconds: Math.max(1, wait) };
  }
  const startRequests = deps.client.requests;
  let current: BackfillRecord = { ...(await withItsData(ctx, record)), state: 'running', startedAt: record.startedAt ?? ctx.clock.now(), updatedAt: ctx.clock.now() };
  const phaseCtx: PhaseContext = {
    ...deps,
    repository,
    since: Date.parse(record.since),
    data: runStore(ctx.store, repository, current.run),
    spent: () => deps.client.requests - startRequests,
    cap,
    get: (request, schema) => deps.client.get(request, schema),
  };
  try {
    const deadline = ctx.clock.now() + PIECE_MS;
    await primeRepositoryObjects(phaseCtx);
    while (phaseCtx.spent() < cap && ctx.clock.now() < deadline) {
      const phase = current.cursor?.phase ?? ORDER[0]!;
      const step = await phases[phase as Phase](phaseCtx, current);
      current = { ...step.record, updatedAt: ctx.clock.now(), requests: record.requests + phaseCtx.spent() };
      if (step.next === undefined) {
        const following = ORDER[ORDER.indexOf(phase as Phase) + 1];
        if (!following) {
          current = { ...current, state: 'done', finishedAt: ctx.clock.now(), cursor: undefined, etaSeconds: 0 };
          await saveBackfill(ctx.store, current);
          ctx.log.info({ repository, done: current.done, total: current.total }, 'backfill finished');
          return { kind: 'done' };
        }
        current = { ...current, cursor: { phase: following } };
      } else {
        current = { ...current, cursor: { phase, next: step.next, ...(step.page !== undefined ? { page: step.page } : {}) } };
      }
      if ((await saveProgress(ctx, { ...current, etaSeconds: eta(current, deps, budgetView(snapshot, phaseCtx.spent())) })) === 'cancelled') return CANCELLED;
    }
    return { kind: 'continue', delaySeconds: 0 };
  } catch (error) {
    // The feeds are the repository's own: not found means the repository is gone, forbidden that the
    // app lost access. Either way the backfill of this repository stops and says so; the rest go on.
    if (error instanceof BitbucketError && (error.kind === 'not-found' || error.kind === 'forbidden')) {
      const reason = error.kind === 'not-found' ? `the repository no longer exists (${error.message})` : `the app can no longer read this repository (${error.message})`;
      await saveBackfill(ctx.store, { ...current, state: 'failed', error: reason, updatedAt: ctx.clock.now() });
      ctx.log.warn({ repository, reason }, 'backfill stopped for this repository');
      return { kind: 'stopped', reason };
    }
    if (error instanceof BitbucketError && error.transient) {
      // After a 429 the budget knows how long to wait (Retry-After, or its own backoff); other
      // passing failures (5xx, network) are tried again in half a minute.
      await deps.budget.flush();
      const snapshot = error.kind === 'rate-limited' ? await deps.budget.snapshot() : undefined;
      const delay = snapshot ? Math.max(1, Math.ceil((snapshot.availableAt(1) - ctx.clock.now()) / 1000)) : (error.retryAfterSeconds ?? 30);
      ctx.log.warn({ repository, error: error.message, retryInSeconds: delay }, 'backfill piece interrupted; will resume');
      if ((await saveProgress(ctx, { ...current, requests: record.requests + phaseCtx.spent(), updatedAt: ctx.clock.now(), error: error.message })) === 'cancelled') return CANCELLED;
      return { kind: 'continue', delaySeconds: delay };
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
  const { cursor: _lost, total: _unknown, ...rest } = record;
  const fresh: BackfillRecord = { ...rest, run: newRun(ctx.clock.now()), done: 0 };
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

/** This repository's time left on its own, at the budget's pace. */
function eta(record: BackfillRecord, deps: BackfillDeps, budget: BudgetView): number {
  return etaSeconds(remainingRequests(record, deps.preferences.commitStats), budget);
}

function budgetView(snapshot: BudgetSnapshot, spentSince: number): BudgetView {
  return { available: Math.max(0, snapshot.available - spentSince), plannedPerHour: snapshot.planned };
}
