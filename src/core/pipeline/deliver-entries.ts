import { z } from 'zod';
import type { DropReason } from '../../contract/status';
import { repositoryLogFields } from '../change/change';
import { endpointFor, ingestPaths } from '../change/event-keys';
import { BitbucketError, errorMessage } from '../errors';
import { attemptDelivery } from '../deliver/attempt';
import { liftPause } from '../deliver/lift-pause';
import { decodeBody, encodeBody, outboxStore, type DeliveredRecord, type OutboxEntry, type OutboxStore } from '../deliver/outbox';
import { retryDelaySeconds } from '../deliver/retry-policy';
import { settingsStore, type Connection, type Tuning } from '../config/settings';
import { recordDelivered, revisitQueued, type CommentWork } from '../metrics/recorder';
import { PayloadTooLargeError } from '../payload/limit';
import type { ForwardContext } from './context';
import { credentialsDigest, pauseInForce } from './pause';
import { recordActivity } from './activity';
import { intentOf } from './stage';

// Moves outbox entries forward: enrich once, then attempt delivery until PanDev takes it, it fails for
// good, or the attempts run out. Every ending is recorded (ledger, dead letter with its reason, or a
// counted drop); an entry that must wait stays in the outbox and its id is handed back to retry.

export type EntryOutcome = 'delivered' | 'duplicate' | 'waiting' | 'dead' | 'dropped' | 'paused' | 'missing';

export interface ProcessResult {
  outcomes: Record<string, EntryOutcome>;
  /**
   * Ids to try again, grouped by how long each must wait (soonest first): each entry keeps its own
   * backoff, so an entry many attempts in is not retried at the pace of a fresh one beside it.
   */
  retries: RetryGroup[];
}

export interface RetryGroup {
  ids: string[];
  afterSeconds: number;
  reason: string;
}

export interface CommentTask {
  workspace: string;
  repository: string;
  work: CommentWork;
}

export interface ProcessOptions {
  /**
   * When the invocation must have handed its work back (ctx.clock's epoch milliseconds). A Forge
   * consumer has 120 s for up to 50 entries of up to a 10 s attempt each: the entries it has no time
   * left for go back as a retry instead of being cut off mid-attempt. None: no limit (the bridge).
   */
  deadline?: number;
  /**
   * The host is stopping (the bridge's SIGTERM): the delivery in progress finishes, the ones not begun
   * stay in the outbox for the next start. A batch of 50 against a PanDev that hangs would otherwise
   * take 50 delivery timeouts, far past the 30 s a service manager gives before SIGKILL.
   */
  signal?: AbortSignal;
}

/**
 * Time kept back from the deadline beyond one delivery attempt: the entry's enrichment (Bitbucket
 * reads), its bookkeeping, and the invocation's own ending (queueing retries and comments).
 */
export const HAND_BACK_MARGIN_MS = 15_000;

/**
 * `items` are outbox ids, or entries the caller just staged (already checked against the ledger), which
 * saves reading them back.
 */
export async function processEntries(items: Array<string | OutboxEntry>, ctx: ForwardContext, options: ProcessOptions = {}): Promise<ProcessResult> {
  const outbox = outboxStore(ctx.store);
  const settings = settingsStore(ctx.store, ctx.secrets);
  const [connection, tuning, credentials] = await Promise.all([settings.connection(), settings.tuning(), settings.credentials()]);
  const result: ProcessResult = { outcomes: {}, retries: [] };
  const waits: Wait[] = [];
  const owed: Owed[] = [];
  const env: Env = { ctx, outbox, connection, tuning, credentials, selected: selectedOnce(settings) };
  for (const [index, item] of items.entries()) {
    const id = typeof item === 'string' ? item : item.id;
    if (options.signal?.aborted) {
      // No retry to hand back: whoever starts next queues the whole outbox again.
      for (const left of items.slice(index)) result.outcomes[typeof left === 'string' ? left : left.id] = 'waiting';
      ctx.log.info({ done: index, left: items.length - index }, 'stopping: the deliveries not begun stay in the outbox for the next start');
      break;
    }
    if (options.deadline !== undefined && ctx.clock.now() + tuning.deliveryTimeoutMs + HAND_BACK_MARGIN_MS > options.deadline) {
      // Handed back untouched: they are in the outbox, and the retry comes at once.
      const rest = items.slice(index).map((left) => (typeof left === 'string' ? left : left.id));
      for (const left of rest) {
        result.outcomes[left] = 'waiting';
        waits.push({ id: left, seconds: 0, reason: 'the invocation ran short of time' });
      }
      ctx.log.warn({ done: index, handedBack: rest.length }, 'invocation running out of time; the remaining deliveries are retried');
      break;
    }
    const step = await processEntry(item, env).catch((error: unknown) => storageTrouble(id, error, env));
    result.outcomes[id] = step.outcome;
    if (step.owed) owed.push(step.owed);
    else if (step.outcome === 'delivered' || step.outcome === 'dead' || step.outcome === 'dropped') ctx.stats.count(step.outcome, step.outcome === 'dropped' ? (step.dropReason ?? 'source-gone') : undefined);
    if (step.outcome === 'waiting' && step.wait && !step.held) ctx.stats.count('retried');
    if (step.wait) waits.push({ id, ...step.wait });
  }
  if (owed.length) await handOverComments(owed, result.outcomes, waits, env);
  result.retries = groupWaits(waits);
  return result;
}

/** A delivery PanDev took whose comment work the host has yet to take before the ledger records it. */
interface Owed {
  id: string;
  delivered: DeliveredRecord;
  comments: CommentTask[];
}

/**
 * The batch's comment work goes to the host (ForwardContext.queueComments) before the ledger records
 * its deliveries: a delivery in the ledger is never made again, so a consumer that ended between the
 * two (stopped at its limit, a storage call refused) lost the merge's comment for good. Ended before
 * the ledger instead, the delivery is made again (PanDev deduplicates it by its id) and its comment
 * queued again, which posts nothing twice (metrics/comment.ts). One hand-over for the batch: a
 * consumer's pushes count against its lineage's (core/backfill/chains.ts).
 */
async function handOverComments(owed: Owed[], outcomes: Record<string, EntryOutcome>, waits: Wait[], env: Env): Promise<void> {
  const { ctx } = env;
  // As a step that threw in the batch: waiting for its retry, counted as one (its delivery never was).
  const again = (id: string, error: unknown) => {
    const step = storageTrouble(id, error, env);
    outcomes[id] = step.outcome;
    ctx.stats.count('retried');
    if (step.wait) waits.push({ id, ...step.wait });
  };
  try {
    await ctx.queueComments?.(distinct(owed.flatMap((o) => o.comments)));
  } catch (error) {
    ctx.log.warn({ deliveries: owed.length, error: errorMessage(error) }, 'could not queue the pull request comments of delivered changes; they are delivered again, and their comments queued then');
    for (const { id } of owed) again(id, error);
    return;
  }
  for (const { id, delivered, comments } of owed) {
    try {
      await revisitQueued(ctx.store, delivered.eventKey, delivered.repository, comments.map((c) => c.work));
      await recordInLedger(id, delivered, env);
      ctx.stats.count('delivered');
    } catch (error) {
      again(id, error);
    }
  }
}

/**
 * Each push of a batch that brings commits names the deployment waiting for them (it stays recorded
 * until the revisit is queued): a backfill's batch of pushes would queue one revisit each, and one
 * revisit judges every waiting comment.
 */
function distinct(tasks: CommentTask[]): CommentTask[] {
  const seen = new Set<string>();
  return tasks.filter((task) => {
    const key = JSON.stringify([task.repository, task.work]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function recordInLedger(id: string, delivered: DeliveredRecord, { ctx, outbox }: Env): Promise<void> {
  await outbox.markDelivered(id, delivered);
  // Left behind, the entry is the ledger's: the sweep finds it there and lets go of it.
  await outbox.remove(id).catch((error: unknown) => ctx.log.warn({ id, error: errorMessage(error) }, 'delivered, but the outbox could not let go of the entry yet; the sweep does'));
}

/**
 * A step that threw: a storage call refused (Forge's quota is per installation) or an entry that cannot
 * be read. Thrown out of the batch, it ended the invocation: the entries after it waited for the sweep,
 * and the pull-request comments of the merges delivered before it were never queued. The entry stays in
 * the outbox, or was delivered (the retry then finds it in the ledger, or PanDev deduplicates it).
 */
function storageTrouble(id: string, error: unknown, { ctx, tuning }: Env): Step {
  const reason = `could not move the delivery forward: ${errorMessage(error)}`;
  ctx.log.warn({ id, reason }, 'delivery step failed, will retry');
  return { outcome: 'waiting', wait: { seconds: Math.min(retryDelaySeconds(1, tuning, undefined, ctx.random), tuning.maxDelaySeconds), reason } };
}

interface Wait {
  id: string;
  seconds: number;
  reason: string;
}

// Waits this close to a group's first share its retry: jitter already spreads retries by more.
const GROUP_SLACK = 0.2;

/**
 * Entries whose waits are near each other share one retry, at the longest of their waits: a wait may be
 * PanDev's Retry-After, which a retry sent sooner would not honour.
 */
export function groupWaits(waits: Wait[]): RetryGroup[] {
  const groups: Array<RetryGroup & { soonest: number }> = [];
  for (const wait of [...waits].sort((a, b) => a.seconds - b.seconds)) {
    const group = groups.at(-1);
    if (group && wait.seconds <= group.soonest * (1 + GROUP_SLACK) + 1) {
      group.ids.push(wait.id);
      group.afterSeconds = wait.seconds;
    } else groups.push({ ids: [wait.id], afterSeconds: wait.seconds, reason: wait.reason, soonest: wait.seconds });
  }
  return groups.map(({ soonest: _soonest, ...group }) => group);
}

interface Step {
  outcome: EntryOutcome;
  wait?: { seconds: number; reason: string };
  /** Held back by a long Retry-After, not attempted: no retry to count. */
  held?: true;
  dropReason?: DropReason;
  /** Delivered, not in the ledger yet: its comment work is handed over first. */
  owed?: Owed;
}

interface Env {
  ctx: ForwardContext;
  outbox: OutboxStore;
  connection: Connection | undefined;
  tuning: Tuning;
  credentials: { token?: string; signingSecret?: string };
  selected: (repositoryUuid: string) => Promise<boolean>;
}

/** Whether a repository is selected, read once per batch and repository: most batches are of one repository. */
function selectedOnce(settings: ReturnType<typeof settingsStore>): (repositoryUuid: string) => Promise<boolean> {
  const known = new Map<string, Promise<boolean>>();
  return (repositoryUuid) => {
    let answer = known.get(repositoryUuid);
    if (!answer) known.set(repositoryUuid, (answer = settings.isSelected(repositoryUuid)));
    return answer;
  };
}

async function processEntry(item: string | OutboxEntry, env: Env): Promise<Step> {
  const { ctx, outbox, connection, tuning, credentials } = env;
  const loaded = typeof item === 'string' ? await loadPending(item, outbox) : { entry: item };
  if ('outcome' in loaded) return { outcome: loaded.outcome };
  const entry = loaded.entry;
  const id = entry.id;
  // Deselecting a repository tells the app to send PanDev nothing more of it: what of it still waits
  // here (a pause, a retry, a replayed dead letter) is dropped as the trigger drops its new events.
  const repository = entry.change.repository.uuid;
  if (!(await env.selected(repository))) {
    await outbox.recordDrop({ at: ctx.clock.now(), reason: 'repository-not-selected', detail: `repository ${repository} was deselected in the settings`, eventKey: entry.eventKey, repository }, id);
    await outbox.remove(id);
    ctx.log.info({ id, eventKey: entry.eventKey, repository }, 'dropped: the repository is no longer selected');
    return { outcome: 'dropped', dropReason: 'repository-not-selected' };
  }
  // Not connected, paused by PanDev, or missing a secret: keep everything; the sweep resumes it.
  if (!connection?.activatedAt || pauseInForce(connection, credentials) || !credentials.token || !credentials.signingSecret) {
    ctx.log.warn({ id, reason: pauseReason(connection, credentials) }, 'delivery paused');
    return { outcome: 'paused' };
  }
  // A retry arrives when the platform's delay ran out; only a Retry-After longer than one delay
  // (Forge waits at most 15 minutes) is chained here.
  const now = ctx.clock.now();
  if (entry.notBefore && entry.notBefore > now) {
    const seconds = Math.min(Math.ceil((entry.notBefore - now) / 1000), tuning.maxDelaySeconds);
    return { outcome: 'waiting', held: true, wait: { seconds, reason: entry.lastError ?? 'Retry-After' } };
  }

  let body = entry.body ? decodeBody(entry.body) : undefined;
  if (!body) {
    const enriched = await enrich(entry, env);
    if (typeof enriched !== 'string') return enriched;
    body = enriched;
  }
  // The body is stored only when the entry stays (a retry, a pause, a dead letter): most deliveries
  // succeed at once, and each Forge storage write counts against the installation's quota. A consumer
  // that dies mid-attempt costs one enrichment again.
  const built = body;
  const keep = (): Partial<OutboxEntry> => (entry.body ? {} : { body: encodeBody(built) });
  const attempt = entry.attempts + 1;
  const outcome = await attemptDelivery(
    {
      url: connection.baseUrl.replace(/\/+$/, '') + ingestPaths[endpointFor(entry.eventKey)],
      id: entry.id,
      eventKey: entry.eventKey,
      edition: entry.change.edition,
      origin: entry.origin,
      attempt,
      body,
      token: credentials.token,
      secret: credentials.signingSecret,
      userAgent: ctx.userAgent,
      timeoutMs: tuning.deliveryTimeoutMs,
      ...(ctx.fixIt ? { fixIt: ctx.fixIt } : {}),
    },
    ctx.send,
  );
  const log = { id, eventKey: entry.eventKey, attempt, ...repositoryLogFields(entry.change) };
  switch (outcome.kind) {
    case 'delivered': {
      // The facts first, and the comment work they ask for handed over (after the batch): once the
      // ledger holds the delivery, a consumer stopped (or refused a storage call) before them finds it
      // there and never records them. Recorded again after a stop before the ledger, they come out the same.
      const comments = await recordFacts(entry, body, ctx);
      const delivered = { at: ctx.clock.now(), eventKey: entry.eventKey, repository: entry.change.repository.uuid, attempts: attempt, stagedAt: entry.createdAt };
      const owed = comments.length > 0 && ctx.queueComments ? { id, delivered, comments } : undefined;
      if (!owed) await recordInLedger(id, delivered, env);
      await recordActivity(entry, ctx);
      ctx.log.info({ ...log, status: outcome.status }, 'delivered');
      // Under a pause, only credentials saved since the refusal get this far: PanDev taking them ends it.
      const lifted = await liftPause(ctx, connection, { by: 'delivery' });
      if (lifted) env.connection = lifted.connection;
      return { outcome: 'delivered', ...(owed ? { owed } : {}) };
    }
    case 'retry': {
      if (attempt >= tuning.maxAttempts) return bury(entry, env, `gave up after ${attempt} attempts; last: ${outcome.reason}`, { ...keep(), attempts: attempt, lastStatus: outcome.status });
      const seconds = retryDelaySeconds(attempt, tuning, outcome.retryAfterSeconds, ctx.random);
      const at = ctx.clock.now();
      const notBefore = seconds > tuning.maxDelaySeconds ? { notBefore: at + seconds * 1000 } : {};
      await outbox.put({ ...entry, ...keep(), attempts: attempt, nextAttemptAt: at + seconds * 1000, ...notBefore, lastError: outcome.reason, ...(outcome.status ? { lastStatus: outcome.status } : {}) });
      ctx.log.warn({ ...log, reason: outcome.reason, retryInSeconds: seconds }, 'delivery failed, will retry');
      return { outcome: 'waiting', wait: { seconds: Math.min(seconds, tuning.maxDelaySeconds), reason: outcome.reason } };
    }
    case 'permanent':
      return bury(entry, env, outcome.reason, { ...keep(), attempts: attempt, lastStatus: outcome.status });
    case 'disabled': {
      await outbox.put({ ...entry, ...keep(), attempts: attempt, lastError: outcome.reason, lastStatus: outcome.status });
      // Read again, not the batch's copy: an admin's save made while the batch ran is not written over.
      const settings = settingsStore(ctx.store, ctx.secrets);
      const saved = await settings.connection();
      if (!saved || saved.baseUrl !== connection.baseUrl) {
        // The refusal was the host this batch read at its start, no longer the one saved: no pause, and
        // this entry and the rest of the batch go with what is saved now.
        env.connection = saved;
        env.credentials = await settings.credentials();
        ctx.log.warn({ ...log, reason: outcome.reason }, 'refused by a PanDev URL no longer saved; retried with the saved one');
        return { outcome: 'waiting', wait: { seconds: 0, reason: 'the PanDev URL was changed while this delivery was on its way' } };
      }
      const refused = outcome.cause === 'token' || outcome.cause === 'signature' ? { refused: credentialsDigest(credentials) } : {};
      const paused = { ...saved, disabled: { at: ctx.clock.now(), reason: outcome.reason, cause: outcome.cause, ...refused } };
      await settings.saveConnection(paused);
      // The rest of this batch is kept unsent: PanDev would refuse each alike. Attempts of other batches
      // already on their way come back refused too and are kept the same way; none is a dead letter.
      env.connection = paused;
      ctx.log.error({ ...log, reason: outcome.reason }, 'PanDev refused every delivery; deliveries paused');
      return { outcome: 'paused' };
    }
  }
}

async function loadPending(id: string, outbox: OutboxStore): Promise<{ entry: OutboxEntry } | { outcome: EntryOutcome }> {
  const entry = await outbox.get(id);
  if (!entry) return { outcome: (await outbox.isDelivered(id)) ? 'duplicate' : 'missing' };
  if (await outbox.isDelivered(id)) {
    await outbox.remove(id);
    return { outcome: 'duplicate' };
  }
  return { entry };
}

/**
 * The metrics' facts come from what PanDev got. A storage call refused throws: the entry is not in the
 * ledger yet, so it is delivered again (PanDev deduplicates it by its id) and its facts and comment
 * recorded then; swallowed, a merge was done with no facts and never got its comment. A body whose
 * facts cannot be read or kept (their shape) would fail alike on every try: that one is let go.
 */
async function recordFacts(entry: OutboxEntry, body: string, ctx: ForwardContext): Promise<CommentTask[]> {
  try {
    const work = await recordDelivered(ctx.store, entry.eventKey, entry.change, body);
    return work.map((w) => ({ workspace: entry.change.workspace, repository: entry.change.repository.uuid, work: w }));
  } catch (error) {
    if (!(error instanceof SyntaxError || error instanceof z.ZodError)) throw error;
    ctx.log.warn({ id: entry.id, error: errorMessage(error) }, 'could not keep the facts of a delivery for the metrics');
    return [];
  }
}

/** Builds the body and returns it; answers with a step when the entry cannot go on now. */
async function enrich(entry: OutboxEntry, env: Env): Promise<string | Step> {
  const { ctx, outbox, tuning } = env;
  try {
    return await ctx.buildBody(entry.change, intentOf(entry), ctx.log);
  } catch (error) {
    const repository = entry.change.repository.uuid;
    if (error instanceof BitbucketError && error.kind === 'not-found') {
      await outbox.recordDrop({ at: ctx.clock.now(), reason: 'source-gone', detail: error.message, eventKey: entry.eventKey, repository }, entry.id);
      await outbox.remove(entry.id);
      ctx.log.info({ id: entry.id, eventKey: entry.eventKey, reason: error.message }, 'dropped: Bitbucket no longer has it');
      return { outcome: 'dropped' };
    }
    if (error instanceof PayloadTooLargeError) return bury(entry, env, error.message, {});
    if (error instanceof BitbucketError && !error.transient) return bury(entry, env, accessAdvice(error), {});
    if (error instanceof BitbucketError && error.kind === 'rate-limited') return waitForBitbucket(entry, env, error);
    const enrichAttempts = entry.enrichAttempts + 1;
    const reason = `could not read Bitbucket: ${errorMessage(error)}`;
    if (enrichAttempts >= tuning.maxEnrichAttempts) return bury(entry, env, `gave up after ${enrichAttempts} tries; last: ${reason}${malformedAdvice(error)}`, { enrichAttempts });
    const retryAfter = error instanceof BitbucketError ? error.retryAfterSeconds : undefined;
    const seconds = Math.min(retryDelaySeconds(enrichAttempts, tuning, retryAfter, ctx.random), tuning.maxDelaySeconds);
    await outbox.put({ ...entry, enrichAttempts, nextAttemptAt: ctx.clock.now() + seconds * 1000, lastError: reason });
    ctx.log.warn({ id: entry.id, eventKey: entry.eventKey, reason, retryInSeconds: seconds }, 'enrichment failed, will retry');
    return { outcome: 'waiting', wait: { seconds, reason } };
  }
}

/**
 * Bitbucket's rolling hour is a wait, not a failure: it never counts toward giving up, however long it
 * lasts (it can answer 429 for most of an hour, usually without Retry-After). The wait is the one the
 * shared budget set after this 429 (its Retry-After, or its growing backoff).
 */
async function waitForBitbucket(entry: OutboxEntry, env: Env, error: BitbucketError): Promise<Step> {
  const { ctx, outbox, tuning } = env;
  await ctx.budget.flush();
  const now = ctx.clock.now();
  const blockedUntil = (await ctx.budget.snapshot()).blockedUntil ?? now + 60_000;
  const seconds = Math.max(1, Math.ceil(Math.max(error.retryAfterSeconds ?? 0, (blockedUntil - now) / 1000)));
  const reason = `Bitbucket's rate limit: ${errorMessage(error)}`;
  const at = now + seconds * 1000;
  await outbox.put({ ...entry, nextAttemptAt: at, ...(seconds > tuning.maxDelaySeconds ? { notBefore: at } : {}), lastError: reason });
  ctx.log.warn({ id: entry.id, eventKey: entry.eventKey, retryInSeconds: seconds }, 'Bitbucket rate limit reached; delivery waits');
  return { outcome: 'waiting', held: true, wait: { seconds: Math.min(seconds, tuning.maxDelaySeconds), reason } };
}

async function bury(entry: OutboxEntry, env: Env, reason: string, update: Partial<OutboxEntry>): Promise<Step> {
  const { ctx, outbox } = env;
  // Another sender may have delivered it meanwhile (the sweep took a slow attempt for a lost one): PanDev
  // holds it, and a dead letter beside the ledger would have an admin chase what is not missing. No
  // lease keeps two senders apart; the id makes a second POST harmless, and only this path pays a read.
  if (await outbox.isDelivered(entry.id)) {
    await outbox.remove(entry.id);
    ctx.log.info({ id: entry.id, eventKey: entry.eventKey, reason }, 'delivered by another attempt meanwhile; not a dead letter');
    return { outcome: 'duplicate' };
  }
  await outbox.putDead({ entry: { ...entry, ...update, lastError: reason }, reason, deadAt: ctx.clock.now() });
  await outbox.remove(entry.id);
  ctx.log.error({ id: entry.id, eventKey: entry.eventKey, ...repositoryLogFields(entry.change), reason }, 'dead letter');
  return { outcome: 'dead' };
}

function accessAdvice(error: BitbucketError): string {
  if (error.kind === 'forbidden' || error.kind === 'unauthorized') {
    return `${error.message}. The app cannot read this repository: check that it is still installed in the workspace with its permissions, then replay this dead letter`;
  }
  return error.message;
}

/** For a dead letter whose last try got an answer the app cannot read: what the admin can do about it. */
function malformedAdvice(error: unknown): string {
  if (!(error instanceof BitbucketError && error.kind === 'malformed')) return '';
  return '. The app cannot build the event from that answer: if Bitbucket keeps answering so, report it (this reason) to Atlassian support; replay this dead letter once Bitbucket answers correctly';
}

function pauseReason(connection: Connection | undefined, credentials: { token?: string; signingSecret?: string }): string {
  if (!connection) return 'PanDev is not connected yet: open Settings → PanDev Metrics';
  if (!connection.activatedAt) return 'the app is not activated yet: run Check connection, then Activate';
  if (connection.disabled) return connection.disabled.reason;
  if (!credentials.token) return 'no PanDev ingest token is saved';
  return 'no signing secret is saved';
}
