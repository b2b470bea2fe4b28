import { repositoryLogFields, type Change, type ChangeOf } from '../change/change';
import { settingsStore } from '../config/settings';
import { retryDelaySeconds } from '../deliver/retry-policy';
import { BitbucketError, errorMessage } from '../errors';
import type { ForwardContext } from './context';
import { processEntries, type ProcessOptions, type ProcessResult } from './deliver-entries';
import type { ForwardMessage } from './queue';
import { reviewerStateStore } from './reviewer-state';
import { stageChange } from './stage';

/**
 * How the host retries a change its preparation could not read for (the Forge consumer: the message
 * itself, through InvocationError). None: a failed read stages the change as given at once.
 */
export interface PreparationRetry {
  /** Failed reads of this change so far (the retry carries the count). */
  failures: number;
  /** Whether a retry `afterSeconds` from now will still come (Forge drops it past the retention window). */
  canRetry(afterSeconds: number): boolean;
}

export interface ForwardOptions extends ProcessOptions {
  preparation?: PreparationRetry;
}

export type ForwardResult = ProcessResult & {
  staged?: number;
  /** Nothing was staged: the host retries the message after `afterSeconds`, telling it `failures`. */
  prepareAgain?: { afterSeconds: number; failures: number; reason: string };
};

/**
 * The consumer's use case: stage a change (or take the ids a retry, sweep or replay handed over) and
 * move its deliveries forward. `retryIds` wins: a retried message must not re-derive its deliveries,
 * because reviewer state has moved on since the first try.
 */
export async function forward(message: Extract<ForwardMessage, { change: unknown } | { ids: unknown }>, ctx: ForwardContext, retryIds?: string[], options: ForwardOptions = {}): Promise<ForwardResult> {
  try {
    if (retryIds?.length) return await noted(await processEntries(retryIds, ctx, options), ctx);
    if ('ids' in message) return await noted(await processEntries(message.ids, ctx, options), ctx);
    const ready = await prepared(message.change as Change, ctx, options.preparation);
    if ('prepareAgain' in ready) return { outcomes: {}, retries: [], prepareAgain: ready.prepareAgain };
    const { change, here } = ready;
    const staged = await stageChange(change, here);
    const result = await noted(await processEntries(staged.entries, here, options), ctx);
    return { ...result, staged: staged.entries.length };
  } finally {
    await Promise.all([ctx.stats.flush(), ctx.budget.flush()]);
  }
}

/**
 * The change as the host completes it (ForwardContext.prepareChange), with the context whose builder
 * reuses what that read. Staged under the name the event gave (a uuid), a change the reconciliation
 * names otherwise (an account id) reaches PanDev twice, so a read that may succeed later (5xx, 429,
 * timeout, network) is retried first, by the host, before anything is staged. A read that cannot
 * succeed (403, 404) or whose tries are used up leaves the statuses the app kept (namedFromKept); only
 * a reviewer none of them names is staged as given: sent twice if found again, never lost. A comment
 * edit (dated by the comment, change-preparer.ts) is staged as given likewise.
 */
async function prepared(change: Change, ctx: ForwardContext, retry: PreparationRetry | undefined): Promise<{ change: Change; here: ForwardContext } | { prepareAgain: NonNullable<ForwardResult['prepareAgain']> }> {
  if (!ctx.prepareChange) return { change, here: ctx };
  try {
    const done = await ctx.prepareChange(change);
    // Read, the pull request may no longer list a reviewer (removed since): the kept statuses may.
    return done ? { change: await namedFromKept(done.change, ctx), here: { ...ctx, buildBody: done.buildBody } } : { change, here: ctx };
  } catch (error) {
    const fields = { ...repositoryLogFields(change), kind: change.kind, error: errorMessage(error) };
    const next = await nextTry(error, retry, ctx);
    if ('prepareAgain' in next) {
      ctx.log.info({ ...fields, failures: next.prepareAgain.failures, retryInSeconds: next.prepareAgain.afterSeconds }, 'could not read Bitbucket to complete the change before staging it; it is tried again before staging');
      return next;
    }
    const named = await namedFromKept(change, ctx);
    if (named !== change) {
      ctx.log.info({ ...fields, why: next.why }, 'could not read Bitbucket to complete the change before staging it; its reviewer is named by account id as the statuses the app kept name them');
      return { change: named, here: ctx };
    }
    const twice = change.kind === 'comment' ? 'once dated by the event, once by the edit' : 'once under each of the reviewer\'s names';
    ctx.log.warn({ ...fields, why: next.why }, `could not read Bitbucket to complete the change before staging it; staged as the event gave it (PanDev may get it twice, ${twice})`);
    return { change, here: ctx };
  }
}

/** The retry after one more failed read, or why there is none. */
async function nextTry(error: unknown, retry: PreparationRetry | undefined, ctx: ForwardContext): Promise<{ prepareAgain: NonNullable<ForwardResult['prepareAgain']> } | { why: string }> {
  if (!(error instanceof BitbucketError)) return { why: 'not a failure of Bitbucket\'s' };
  if (!error.transient) return { why: 'Bitbucket refused the read for good' };
  if (!retry) return { why: 'this host does not retry it' };
  // Read only on this failure path: a normal event's storage calls stay as they were.
  const tuning = await settingsStore(ctx.store, ctx.secrets).tuning();
  const failures = retry.failures + 1;
  // The enrichment's count of tries: a read that fails this often is not about to succeed.
  if (failures >= tuning.maxEnrichAttempts) return { why: `its ${failures} tries are used up` };
  const afterSeconds = Math.min(retryDelaySeconds(failures, tuning, error.retryAfterSeconds, ctx.random), tuning.maxDelaySeconds);
  if (!retry.canRetry(afterSeconds)) return { why: 'the platform would drop a retry (its retention window closes)' };
  return { prepareAgain: { afterSeconds, failures, reason: errorMessage(error) } };
}

/**
 * A reviewer change still naming a reviewer by uuid only, named by account id from the statuses the app
 * kept for the pull request: the reconciliation, the backfill and a live event that was read record
 * both names. So an approval one of them sent first is found under its account-id id and not sent again,
 * and an unapproval is read against the approval they kept. Asked only of such a change: a normal event
 * makes no storage call more. A reviewer no record names (none kept, or kept before records held both
 * names) stays a uuid: nothing the app holds joins the two names, and asking Bitbucket is what failed.
 */
async function namedFromKept(change: Change, ctx: ForwardContext): Promise<Change> {
  if (change.kind !== 'reviewer' || change.edition !== 'cloud' || !change.reviewers.some((reviewer) => !reviewer.user.accountId && reviewer.user.uuid)) return change;
  const kept = reviewerStateStore(ctx.store);
  let named = false;
  const reviewers: ChangeOf<'reviewer'>['reviewers'] = [];
  for (const reviewer of change.reviewers) {
    const accountId = !reviewer.user.accountId && reviewer.user.uuid ? await kept.namedBy(change.repository.uuid, change.pullRequestId, reviewer.user.uuid) : undefined;
    named ||= accountId !== undefined;
    reviewers.push(accountId ? { ...reviewer, user: { ...reviewer.user, accountId } } : reviewer);
  }
  return named ? { ...change, reviewers } : change;
}

/** For the host's status (ForwardContext.noteAnswers); a note that cannot be written must not fail the deliveries. */
async function noted(result: ProcessResult, ctx: ForwardContext): Promise<ProcessResult> {
  await ctx.noteAnswers?.(ctx.store, ctx.clock.now(), result.outcomes).catch((error: unknown) => ctx.log.warn({ error: errorMessage(error) }, 'could not note whether PanDev takes deliveries for the status page'));
  return result;
}
