import { timeLeft } from '../pipeline/time-left';
import type { RateBudget } from '../budget/rate-budget';
import { settingsStore } from '../config/settings';
import type { CloudClient } from '../enrich/cloud/client';
import { repositoryGone, type Lookups } from '../enrich/cloud/lookups';
import { outboxStore } from '../deliver/outbox';
import { BitbucketError, errorMessage } from '../errors';
import { kvKey } from '../keys';
import type { ForwardContext } from '../pipeline/context';
import { idsMessages, PLANNED_WORK, PushRefusedError, type ForwardMessage, type ForwardQueue } from '../pipeline/queue';
import { stagePrebuilt } from '../pipeline/stage';
import type { ActivityBacklog } from './activity-backlog';
import { overlapKeys } from './clock-allowance';
import { IDLE_COST, recordDraw } from './draw';
import { pacedClient } from './paced-client';
import { deploymentCheckDue, reconcileRepository, type LeftOut } from './reconcile-repository';
import { noteChangesCut } from './changes-cut';
import { pendingBackfills } from '../backfill/pending';
import { getBackfill } from '../backfill/state';
import type { KeyValueStore } from '../ports';
import { noteReconcileFailure, noteReconcileRecovered } from './failing';
import { pushedSince, repositoriesChangedSince, repositoryIndex, selectedRepositories, type WorkspaceChanges } from './repositories';

// The reconciliation. Forge does not promise product events, so every selected repository is read
// again when its period (default 15 minutes) is due. The five-minute tick plans the pass: which
// repositories are due, most recently active first, as many as the request budget allows; the queue
// consumer runs them in batches. Each repository's watermark is the *start* of its last successful
// pass, so anything that changed while a pass ran is read again by the next one.

export interface ReconcileDeps {
  ctx: ForwardContext;
  client: CloudClient;
  lookups: Lookups;
  budget: RateBudget;
  queue: ForwardQueue;
  workspace: string;
}

interface RepositoryState {
  watermark: number;
  lastPassAt: number;
  lastActivityAt: number;
  lastDeploymentCheckAt?: number;
  lastDeploymentAt?: number;
  /** Keys of the deployments that check read in the next one's overlap (clock-allowance.ts). */
  deploymentsSeen?: string[];
  /** Activity a pass had no pages left for (see activity-backlog.ts). */
  activityBacklog?: ActivityBacklog;
  /** Keys of the activity entries in the next pass's overlap, and the workspace query's time it was planned with (clock-allowance.ts). */
  activitySeen?: string[];
  changeSeenAt?: number;
  /** A push seen that a pass had no budget or time left to read the refs of… */
  refsOwed?: boolean;
  /** …and the watermark of the first pass that put them off: what changed since then is still to read. */
  refsOwedSince?: number;
  error?: string;
  /** When a pass found the repository deleted: not asked for again unless a list read since still has it. */
  goneAt?: number;
  /** What the last pass left out as malformed: an entry on the log's first page is met by every pass, and counted once. */
  leftOutSeen?: string[];
}

/** Malformed items remembered from one pass to the next; more than this are rare, and counted again at worst. */
const LEFT_OUT_KEPT = 20;
const BATCH = 20;
const stateKey = (repository: string) => kvKey('reconcile', 'repo', repository);
/**
 * A deleted repository's state only holds its passes back until the hourly list of repositories drops
 * it; nothing reads it after, and kept for ever it would be one key more for each repository a busy
 * workspace deletes. Should it lapse while a list still names it, one pass finds it gone again.
 */
const GONE_KEPT_SECONDS = 24 * 3600;
/** What a drop for items past a feed's read limit says: nothing to report, and what PanDev misses. */
const BEYOND_LIMIT_ADVICE = 'PanDev\'s deployment figures miss the older ones; nothing is wrong with Bitbucket\'s answers, the reconciliation reads a bounded number each check';
/** What a drop for an item left out says to do: the item is read again only when it next changes. */
const LEFT_OUT_ADVICE = 'It is read again when it next changes; if it stays left out, report Bitbucket\'s answer for it (this reason) to Atlassian support';
/** What the pass remembers of an item it left out: the same item met again is not counted again. */
const leftOutKey = (left: LeftOut) => `${left.feed ? `${left.feed} ` : ''}${left.pullRequest ?? '?'} ${left.reason}`;

async function recordLeftOut(ctx: ForwardContext, repository: string, left: LeftOut, at: number, discriminator: string): Promise<void> {
  if (left.beyondLimit) {
    await outboxStore(ctx.store).recordDrop({ at, reason: 'beyond-read-limit', detail: `${left.reason}. ${BEYOND_LIMIT_ADVICE}`, repository }, discriminator);
    ctx.log.warn({ repository, feed: left.feed, reason: left.reason }, `left out of the reconciliation: ${left.reason}. ${BEYOND_LIMIT_ADVICE}`);
    return;
  }
  const detail = `${left.pullRequest !== undefined ? `pull request #${left.pullRequest}: ` : ''}${left.reason}. ${LEFT_OUT_ADVICE}`;
  await outboxStore(ctx.store).recordDrop({ at, reason: 'malformed-in-bitbucket', detail, repository }, discriminator);
  ctx.log.warn({ repository, pullRequest: left.pullRequest, reason: left.reason }, 'left out of the reconciliation: Bitbucket answered a pull request, activity entry, branch or tag, commit, build status or deployment in a form the app cannot read; the rest was passed. It is read again when it next changes; if the same item stays left out, report Bitbucket\'s answer for it (the reason) to Atlassian support');
}

/**
 * Where a repository's first pass starts: at the activation, or, for one selected later, when its
 * backfill was asked for. The backfill replays its window up to then; read from the activation, a
 * repository selected a year on had a year of history reconciled past the window the admin chose.
 */
export async function firstWatermark(store: KeyValueStore, repository: string, activatedAt: number, pending: () => Promise<Map<string, number>>): Promise<number> {
  const backfill = await getBackfill(store, repository);
  // One whose record a tick has yet to write (backfill/pending.ts) was asked for all the same.
  const asked = backfill?.requestedAt ?? (await pending()).get(repository);
  return Math.max(activatedAt, asked ?? activatedAt);
}

/** The waiting backfills, read once for all the repositories that need them (usually none do). */
export function pendingOnce(store: KeyValueStore): () => Promise<Map<string, number>> {
  let read: Promise<Map<string, number>> | undefined;
  return () => (read ??= pendingBackfills(store));
}

export async function planReconciliation(deps: ReconcileDeps): Promise<{ queued: number; deferred: number }> {
  const { ctx } = deps;
  const settings = settingsStore(ctx.store, ctx.secrets);
  const connection = await settings.connection();
  if (!connection?.activatedAt || connection.disabled) return { queued: 0, deferred: 0 };
  const now = ctx.clock.now();
  const period = (await settings.preferences()).reconcileMinutes * 60_000;
  const listed = await repositoryIndex(deps.client, ctx.store, deps.workspace, now, ctx.log);
  const selected = await selectedRepositories(settings, listed.repositories);
  await recordDraw(ctx.store, selected.length, period / 60_000, now);
  const states = new Map(await Promise.all(selected.map(async (r) => [r.uuid, await ctx.store.get<RepositoryState>(stateKey(r.uuid))] as const)));
  // A tick comes every five minutes: a repository is due if its next tick would be late. One found
  // deleted stays in the index until it is read again (hourly), and is left alone until then.
  const due = selected
    .filter((r) => !((states.get(r.uuid)?.goneAt ?? -Infinity) >= listed.at))
    .filter((r) => now - (states.get(r.uuid)?.lastPassAt ?? 0) >= period - 150_000)
    .sort((a, b) => (states.get(b.uuid)?.lastActivityAt ?? 0) - (states.get(a.uuid)?.lastActivityAt ?? 0));
  if (!due.length) return { queued: 0, deferred: 0 };
  const available = (await deps.budget.snapshot()).available;
  const affordable = due.slice(0, Math.max(0, Math.floor(available / IDLE_COST)));
  // Read only for the repositories this tick passes: a workspace just activated has thousands without a state.
  const pending = pendingOnce(ctx.store);
  const firstWatermarks = new Map(await Promise.all(affordable.filter((r) => !states.get(r.uuid)).map(async (r) => [r.uuid, await firstWatermark(ctx.store, r.uuid, connection.activatedAt!, pending)] as const)));
  const oldest = Math.min(...affordable.map((r) => states.get(r.uuid)?.watermark ?? firstWatermarks.get(r.uuid) ?? connection.activatedAt!));
  const changes: WorkspaceChanges = affordable.length ? await repositoriesChangedSince(deps.client, deps.workspace, oldest, ctx.log) : { changed: new Map() };
  if (affordable.length) await noteChangesCut(ctx.store, ctx.log, changes, oldest, now);
  const batches: ForwardMessage[] = [];
  for (let i = 0; i < affordable.length; i += BATCH) {
    const repositories = affordable.slice(i, i + BATCH).map((r) => r.uuid);
    // Each batch carries only its own repositories' times: a message stays small in any workspace.
    const mine = new Set(repositories.map((uuid) => uuid.toLowerCase()));
    const own = [...changes.changed].filter(([uuid]) => mine.has(uuid));
    const cut = changes.cutAt !== undefined ? { changedCutAt: changes.cutAt } : {};
    batches.push({ reconcile: { workspace: deps.workspace, repositories, changed: own, ...cut, plannedAt: now } });
  }
  await deps.budget.flush();
  try {
    // One call: on Forge, up to 50 batches go in one push request (limited per lineage and per minute).
    await deps.queue.push(batches, { serializeBy: PLANNED_WORK });
  } catch (error) {
    // Nothing is lost: a repository not passed stays due, and the next tick plans it again.
    if (!(error instanceof PushRefusedError)) throw error;
    ctx.log.warn({ due: due.length, refusal: error.refusal }, 'reconciliation not queued: the queue refused; the next tick plans it again');
    return { queued: 0, deferred: due.length };
  }
  if (affordable.length < due.length) ctx.log.warn({ due: due.length, queued: affordable.length }, 'reconciliation deferred for lack of request budget');
  return { queued: affordable.length, deferred: due.length - affordable.length };
}

export interface ReconcileBatch {
  repositories: string[];
  /** The workspace query's answer: each changed repository and when. A bare UUID (a message queued before times were kept) counts as changed. */
  changed: Array<[string, number] | string>;
  /** The workspace query stopped at its page cap: a repository it did not list changed no later than this. */
  changedCutAt?: number;
  /** When the tick planned it: a repository passed since then (a redelivered message, two overlapping ticks) is not read again. */
  plannedAt?: number;
}

/**
 * Kept back from the deadline after the last repository: its staging, the batch's state writes, the
 * budget's flush and the push of what it staged.
 */
const END_MARGIN_MS = 10_000;
/** A repository is expected to take this long until a slower one has been seen: a busy one reads a few pages. */
const REPOSITORY_ESTIMATE_MS = 5_000;

/**
 * One batch of a pass: each repository on its own, so one failing repository stops nothing else.
 * With a deadline (a Forge consumer is stopped at its limit, mid-write), a repository starts only if
 * the slowest one so far would still end in time; the rest stay due for the next tick. One repository
 * may itself need longer than that: its pass stops between requests and owes the rest (see
 * reconcile-repository.ts), and the next pass reads on from there.
 */
export async function reconcileBatch(batch: ReconcileBatch, deps: ReconcileDeps, options: { deadline?: number } = {}): Promise<{ staged: number; failed: number }> {
  const { repositories, plannedAt } = batch;
  const changes: WorkspaceChanges = {
    changed: new Map(batch.changed.map((entry) => (typeof entry === 'string' ? [entry, Number.MAX_SAFE_INTEGER] : entry))),
    ...(batch.changedCutAt !== undefined ? { cutAt: batch.changedCutAt } : {}),
  };
  const { ctx } = deps;
  const settings = settingsStore(ctx.store, ctx.secrets);
  const activatedAt = (await settings.connection())?.activatedAt ?? ctx.clock.now();
  const pending = pendingOnce(ctx.store);
  let failed = 0;
  // Queued together when the batch ends: one push request for the batch, not one per repository.
  const ids: string[] = [];
  // The tick planned this batch within the budget, but live events spend from the same hour: each
  // repository starts only while requests remain; the rest stay due for the next tick.
  const grant = (await deps.budget.snapshot()).available;
  const spentBefore = deps.client.requests;
  const time = timeLeft(ctx.clock, options.deadline, { margin: END_MARGIN_MS, estimate: REPOSITORY_ESTIMATE_MS });
  const paced = pacedClient(deps.client, ctx.clock, options.deadline, END_MARGIN_MS);
  for (const [index, repository] of repositories.entries()) {
    if (deps.client.requests - spentBefore >= grant) {
      ctx.log.info({ left: repositories.length - index }, 'reconciliation batch stopped at the request budget');
      break;
    }
    const ended = time.begin();
    if (!ended) {
      ctx.log.warn({ left: repositories.length - index }, 'reconciliation batch stopped for lack of time; the rest stay due for the next tick');
      break;
    }
    // Selected when the tick planned it; deselected since, it is left alone.
    if (!(await settings.isSelected(repository))) continue;
    const start = ctx.clock.now();
    const state = (await ctx.store.get<RepositoryState>(stateKey(repository))) ?? { watermark: await firstWatermark(ctx.store, repository, activatedAt, pending), lastPassAt: 0, lastActivityAt: 0 };
    if (plannedAt !== undefined && state.lastPassAt >= plannedAt) continue;
    const changeAt = changes.changed.get(repository.toLowerCase());
    const pushed = state.refsOwed === true || pushedSince(changes, repository, state.watermark, state.changeSeenAt);
    const deployments = deploymentCheckDue({ now: start, pushed, lastCheckAt: state.lastDeploymentCheckAt, lastActivityAt: Math.max(state.lastActivityAt, state.lastDeploymentAt ?? 0), neverDeployed: state.lastDeploymentCheckAt !== undefined && state.lastDeploymentAt === undefined });
    try {
      const { items, leftOut, lastDeploymentAt, activityBacklog, activityRead, deferred, deploymentsSeen = state.deploymentsSeen } = await reconcileRepository({
        client: paced.client, lookups: deps.lookups, store: ctx.store, workspace: deps.workspace, repository, watermark: state.watermark, pushed, deployments,
        deploymentsSince: state.lastDeploymentCheckAt ?? state.watermark, ...(state.activityBacklog ? { activityBacklog: state.activityBacklog } : {}),
        ...(state.activitySeen ? { activitySeen: state.activitySeen } : {}), ...(state.deploymentsSeen ? { deploymentsSeen: state.deploymentsSeen } : {}),
        ...(state.refsOwed && state.refsOwedSince !== undefined ? { refsSince: state.refsOwedSince } : {}),
        budgetLeft: () => grant - (deps.client.requests - spentBefore), outOfTime: paced.outOfTime, now: start, log: ctx.log,
      });
      const result = await stagePrebuilt(items, ctx);
      // Refs and deployments are not read by every pass: what the last that read them left out is kept until one reads them again.
      const read = { refs: pushed && !deferred?.refs, deployments: deployments && !deferred?.deployments };
      const unread = (state.leftOutSeen ?? []).filter((key) => (['refs', 'deployments'] as const).some((feed) => !read[feed] && key.startsWith(`${feed} `)));
      const leftOutSeen = [...new Set([...leftOut.map(leftOutKey), ...unread])].slice(0, LEFT_OUT_KEPT);
      for (const [n, left] of leftOut.entries()) {
        // A malformed item stays so until it changes: told once. Each check past the limit loses others.
        if (!left.beyondLimit && state.leftOutSeen?.includes(leftOutKey(left))) continue;
        await recordLeftOut(ctx, repository, left, start, `reconcile-${left.pullRequest ?? 'unknown'}-${n}`);
      }
      for (const entry of result.entries) ids.push(entry.id);
      // Not later than the workspace query that said whether it was pushed: a push between that
      // query and this pass is in neither, and the next query must still find it.
      const watermark = Math.min(start, plannedAt ?? start);
      const activitySeen = overlapKeys(activityRead, watermark);
      await ctx.store.set(stateKey(repository), {
        watermark,
        lastPassAt: start,
        lastActivityAt: items.length ? start : state.lastActivityAt,
        lastDeploymentCheckAt: deployments && !deferred?.deployments ? start : state.lastDeploymentCheckAt,
        lastDeploymentAt: lastDeploymentAt ?? state.lastDeploymentAt,
        ...(activityBacklog ? { activityBacklog } : {}),
        ...(activitySeen.length ? { activitySeen } : {}),
        ...(deploymentsSeen?.length ? { deploymentsSeen } : {}),
        ...(changeAt !== undefined ? { changeSeenAt: changeAt } : state.changeSeenAt !== undefined ? { changeSeenAt: state.changeSeenAt } : {}),
        ...(deferred?.refs ? { refsOwed: true, refsOwedSince: state.refsOwed ? (state.refsOwedSince ?? state.watermark) : state.watermark } : {}),
        ...(leftOutSeen.length ? { leftOutSeen } : {}),
      } satisfies RepositoryState);
      // Only a repository whose last pass failed can be in the failing record: a healthy pass reads nothing more.
      if (state.error !== undefined) await noteReconcileRecovered(ctx.store, repository);
      if (activityBacklog) ctx.log.warn({ repository, owedSince: new Date(activityBacklog.floor).toISOString() }, 'more activity than one pass reads; the next passes read on');
      if (result.entries.length) ctx.log.info({ repository, staged: result.entries.length }, 'reconciliation found deliveries the triggers missed');
    } catch (error) {
      // The watermark stays: the next pass reads the same period again.
      if (error instanceof BitbucketError && error.kind === 'not-found' && (await repositoryGone(deps.lookups, deps.workspace, repository))) {
        await ctx.store.set(stateKey(repository), { ...state, lastPassAt: start, error: 'deleted in Bitbucket', goneAt: start } satisfies RepositoryState, { ttlSeconds: GONE_KEPT_SECONDS });
        if (state.error !== undefined) await noteReconcileRecovered(ctx.store, repository);
        ctx.log.info({ repository }, 'reconciliation skips a repository deleted in Bitbucket');
      } else {
        failed++;
        await ctx.store.set(stateKey(repository), { ...state, lastPassAt: start, error: errorMessage(error) } satisfies RepositoryState);
        await noteReconcileFailure(ctx.store, repository, start, error);
        ctx.log.warn({ repository, reason: errorMessage(error) }, 'reconciliation of a repository failed; it will be retried next pass');
      }
    }
    ended();
  }
  await ctx.store.set('reconcile:last', { finishedAt: ctx.clock.now(), repositories: repositories.length, failed });
  await deps.budget.flush();
  try {
    await deps.queue.push(idsMessages(ids));
  } catch (error) {
    // The passes are done and their deliveries are in the outbox: the sweep queues them. Failing the
    // batch would only read the repositories again, and staging skips what the outbox already holds.
    if (!(error instanceof PushRefusedError)) throw error;
    ctx.log.warn({ deliveries: ids.length, refusal: error.refusal }, 'reconciliation deliveries left to the outbox sweep: the queue refused');
  }
  return { staged: ids.length, failed };
}
