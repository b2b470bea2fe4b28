import { z } from 'zod';
import { settingsStore } from '../../core/config/settings';
import { recentOutcomes } from '../../core/deliver/stats';
import type { KeyValueStore, SecretStore } from '../../core/ports';
import { formatDuration } from '../../core/metrics/render';
import { recentNotices } from '../ops/notices';
import { leftOutItems, leftOutMessage } from '../poll/left-out';
import { BackfillStatus, readBackfill } from '../poll/backfill-progress';
import { cloudListingCutMessage, listingCut, listingFailure } from '../poll/listing';
import { listingCutMessage } from '../poll/repositories';
import { rateLimited, type RateLimited } from '../poll/rate-limited';
import { pullRequestsCutMessage, pullRequestsCutShown, type PullRequestsCut } from '../poll/pull-requests-cut';
import { refsCutMessage, type RefsCut } from '../poll/refs-cut';
import { changesCut } from '../../core/reconcile/changes-cut';
import { changesCutMessage } from '../poll/changes-cut';
import { tokenRefusal } from '../poll/token-refusal';
import { pollState, RepositoryCursor, RetryRecord } from '../poll/state';
import type { SqliteStore } from '../state/sqlite-store';
import { outboxLine, RetryingDeliveries, retryingDeliveries, retryingMessage } from './status-outbox';
import { readWebhooks, webhookLines, WebhooksStatus } from './status-webhooks';
import { printable } from './printable';
import { resumeAdvice } from '../state/connection';
import { needsAttention, skippedMessage } from './status-skipped';

// What `status` reads from the state database: no tokens needed, safe beside a running bridge (WAL).
// What needs the operator comes first, and makes the exit code 1, so a script or a cron job can alert.

/** What `status` needs of a Cloud bridge's cursor (editions/cloud.ts): Cloud's have their own keys. */
const CloudCursor = z.object({
  name: z.string().optional(), watermark: z.number(), lastSuccessAt: z.number().optional(), error: z.string().optional(), unlisted: z.number().optional(),
  pullRequestsFrom: z.number().optional(), deploymentsRefused: z.boolean().optional(),
});
const FEEDS_NOT_READ = ['pull requests', 'deployments'] as const;

const Attention = z.object({
  kind: z.enum(['deliveries-paused', 'deliveries-failing', 'token-refused', 'rate-limited', 'listing-failing', 'listing-cut', 'changes-cut', 'refs-cut', 'pull-requests-cut', 'repository-failing', 'pull-request-skipped', 'dead-letters', 'webhook-given-up', 'build-watches-ended', 'activities-cut', 'item-left-out', 'webhooks-refused', 'webhooks-silent']),
  /** PROJECT/slug (Cloud: workspace/slug); null when it is not about one repository, or its name is not known yet. */
  repository: z.string().nullable(),
  repositoryId: z.string().nullable(),
  at: z.string().nullable(),
  /** What happened and what to do about it. */
  message: z.string(),
});

/** `status --json`: the keys are part of the interface scripts rely on. */
export const StatusReport = z.object({
  database: z.string(),
  outbox: z.number(),
  /** Of the outbox, what PanDev answered with a failure and waits for a retry; null when none. */
  retrying: RetryingDeliveries.default(null),
  deadLetters: z.number(),
  last24h: z.object({ delivered: z.number(), retried: z.number(), dead: z.number(), dropped: z.number() }),
  attention: z.array(Attention),
  repositories: z.array(
    z.object({
      id: z.string(),
      name: z.string().nullable(),
      lastSuccessAt: z.string().nullable(),
      watermark: z.string(),
      error: z.string().optional(),
      /** The last listing left it out: deselected, deleted, in another shard's share, or no longer readable by the token's user. */
      notPolled: z.boolean().optional(),
      /** Cloud: what the token lacks the scope for (`error` says which); the rest is read every pass. */
      notRead: z.array(z.enum(FEEDS_NOT_READ)).optional(),
      skipped: z.array(z.object({ pullRequest: z.number(), reason: z.string(), failures: z.number() })),
    }),
  ),
  /** The first pass over the selected repositories; one under way needs no attention, only patience. */
  backfill: BackfillStatus,
  /**
   * Data Center: the instance was seen listing pull requests by creation (poll/list-order.ts), so every
   * pass reads each repository's whole list; null while it lists them by last update, as assumed.
   */
  pullRequestOrder: z.object({ byCreation: z.literal(true), repository: z.string(), seenAt: z.string() }).nullable(),
  /** Data Center: whether webhooks are on, arrive, or are refused; null on Cloud. */
  webhooks: WebhooksStatus,
  /**
   * Bitbucket answering 429 (DC's rate limiter, Cloud's hour): the first and latest of this episode, and
   * until when the bridge waits; null when it is not. Information only, unless it lasted over an hour.
   */
  rateLimited: z.object({ since: z.string(), lastAt: z.string(), until: z.string(), /** What to change if it lasts, in the edition's terms. */ advice: z.string() }).nullable(),
});
export type StatusReport = z.infer<typeof StatusReport>;
type Repository = StatusReport['repositories'][number];

export async function readStatus(store: SqliteStore, now = Date.now()): Promise<StatusReport> {
  const outcomes = await recentOutcomes(store, now);
  const retries = new Map<string, RetryRecord[]>();
  for (const { key, value } of await all(store, 'dc:retry:')) {
    const record = RetryRecord.safeParse(value);
    const repo = key.split(':')[2] ?? '';
    if (record.success) retries.set(repo, [...(retries.get(repo) ?? []), record.data]);
  }
  const repositories: Repository[] = [];
  const iso = (ms?: number) => (ms ? new Date(ms).toISOString() : null);
  const refsCut = new Map<string, RefsCut>();
  const pullRequestsCut = new Map<string, PullRequestsCut>();
  for (const { key, value } of await all(store, 'dc:repo:')) {
    const cursor = RepositoryCursor.safeParse(value);
    if (!cursor.success) continue;
    const id = key.slice('dc:repo:'.length);
    if (cursor.data.refsCut && !cursor.data.unlisted) refsCut.set(id, cursor.data.refsCut);
    // A repository no longer polled is read on by no pass, and what it misses is no longer this bridge's.
    const prCut = cursor.data.pullRequestsCut;
    if (prCut && !cursor.data.unlisted && pullRequestsCutShown(prCut, now)) pullRequestsCut.set(id, prCut);
    repositories.push({ id, name: cursor.data.name ?? null, lastSuccessAt: iso(cursor.data.lastSuccessAt), watermark: iso(cursor.data.watermark)!, ...(cursor.data.error ? { error: cursor.data.error } : {}), ...(cursor.data.unlisted ? { notPolled: true } : {}), skipped: (retries.get(id) ?? []).map((record) => ({ pullRequest: record.id, reason: record.reason, failures: record.failures })) });
  }
  for (const { key, value } of await all(store, 'bridge:cloud:')) {
    const cursor = CloudCursor.safeParse(value);
    if (!cursor.success) continue;
    const notRead = FEEDS_NOT_READ.filter((feed) => (feed === 'pull requests' ? cursor.data.pullRequestsFrom !== undefined : cursor.data.deploymentsRefused === true));
    repositories.push({ id: key.slice('bridge:cloud:'.length), name: cursor.data.name ?? null, lastSuccessAt: iso(cursor.data.lastSuccessAt), watermark: iso(cursor.data.watermark)!, ...(cursor.data.error ? { error: cursor.data.error } : {}), ...(cursor.data.unlisted ? { notPolled: true } : {}), ...(notRead.length ? { notRead } : {}), skipped: [] });
  }
  const deadLetters = store.count('dead:');
  const outbox = store.count('outbox:');
  const connection = await settingsStore(store, noSecrets).connection();

  const names = new Map(repositories.map((repo) => [repo.id, repo.name]));
  const attention: StatusReport['attention'] = [];
  // A 410, PanDev's web page at its URL, or a refused token or secret stops every delivery, not one:
  // the bridge polls on and the outbox only grows, so this comes first.
  if (connection?.disabled) {
    attention.push({ kind: 'deliveries-paused', repository: null, repositoryId: null, at: iso(connection.disabled.at), message: `deliveries to PanDev are paused, ${outbox} waiting in the outbox: ${connection.disabled.reason}. ${resumeAdvice(connection.disabled)}` });
  }
  // PanDev down or failing: the poll goes on, the outbox grows, and nothing else fails until the
  // oldest run out of attempts and turn into dead letters. A pause already says why nothing is sent.
  const retrying = retryingDeliveries(store);
  const failing = connection?.disabled ? undefined : retryingMessage(retrying, now);
  if (failing) attention.push({ kind: 'deliveries-failing', repository: null, repositoryId: null, at: retrying!.since, message: failing });
  // One expired PAT stops every pass at its first request; no repository's cursor says so.
  const refused = await tokenRefusal(store);
  if (refused) {
    attention.push({ kind: 'token-refused', repository: null, repositoryId: null, at: iso(refused.at), message: `Bitbucket refuses the token: no repository is read until it is replaced, and each pass tries again from where the last good one stopped (${refused.error})` });
  }
  // Waiting out a 429 is the plan; an hour of them is more than one user's burst, and someone should look.
  const limited = await rateLimited(store);
  if (limited && limited.lastAt - limited.since > HOUR_MS) {
    attention.push({ kind: 'rate-limited', repository: null, repositoryId: null, at: iso(limited.since), message: `Bitbucket has been rate-limiting the bridge (429) for ${formatDuration((limited.lastAt - limited.since) / 1000)}: ${rateLimitAdvice(limited.edition)}` });
  }
  // No pass polls anything while it lasts; no repository's cursor would say so.
  const listing = await listingFailure(store);
  if (listing) {
    attention.push({ kind: 'listing-failing', repository: null, repositoryId: null, at: iso(listing.at), message: `no repository is polled: the last pass could not list them (${listing.error}). Run \`pandev-bitbucket check\` to see why and what to change` });
  }
  // The repositories past the cap are not polled and have no cursor to say so.
  const cut = await listingCut(store);
  if (cut) attention.push({ kind: 'listing-cut', repository: null, repositoryId: null, at: iso(cut.at), message: cut.edition === 'cloud' ? cloudListingCutMessage(cut.read) : listingCutMessage(cut.read) });
  // Cloud: nothing is lost past the workspace query's cap, but every pass then costs more of the hour.
  const changes = await changesCut(store);
  if (changes) attention.push({ kind: 'changes-cut', repository: null, repositoryId: null, at: iso(changes.at), message: changesCutMessage(changes) });
  // The branches and tags past a cap are never compared: nothing fails, so nothing else would say so.
  for (const [id, cut] of refsCut) {
    for (const list of ['branches', 'tags'] as const) {
      const read = cut[list];
      if (read !== undefined) attention.push({ kind: 'refs-cut', repository: names.get(id) ?? null, repositoryId: id, at: iso(cut.at), message: refsCutMessage(list, read) });
    }
  }
  // The pull requests past the cap reach PanDev late while they are read on (or, listed by creation, never).
  for (const [id, cut] of pullRequestsCut) {
    attention.push({ kind: 'pull-requests-cut', repository: names.get(id) ?? null, repositoryId: id, at: iso(cut.lastAt), message: pullRequestsCutMessage(cut) });
  }
  for (const repo of repositories) {
    // A repository deleted or left out keeps its cursor, and the error of its last pass with it: that
    // is history, not something to fix (the exit code would stay 1 for good).
    // A feed refused alone is no failed poll: the rest was read, and "last good poll" would say now.
    const failure = repo.notRead ? `its ${repo.notRead.join(' and ')} are not read, the rest of it is (last poll ${repo.lastSuccessAt ?? 'never'})` : `its last poll failed (last good poll ${repo.lastSuccessAt ?? 'never'})`;
    if (repo.error && !repo.notPolled) attention.push({ kind: 'repository-failing', repository: repo.name, repositoryId: repo.id, at: repo.lastSuccessAt, message: `${failure}: ${repo.error}` });
    // The same for its skipped pull requests: nothing tries them while it is not polled.
    if (repo.notPolled) continue;
    for (const record of (retries.get(repo.id) ?? []).filter(needsAttention)) {
      attention.push({ kind: 'pull-request-skipped', repository: repo.name, repositoryId: repo.id, at: iso(record.firstAt), message: skippedMessage(record) });
    }
  }
  // Nothing fails when one item is left out, so nothing else would say that PanDev lacks it.
  const notPolled = new Set(repositories.filter((repo) => repo.notPolled).map((repo) => repo.id));
  for (const item of await leftOutItems(store)) {
    // One the listing left out is not polled for that very reason: named all the same.
    if (item.listing) attention.push({ kind: 'item-left-out', repository: item.repository || null, repositoryId: item.repositoryId || null, at: iso(item.firstAt), message: leftOutMessage(item) });
    else if (!notPolled.has(item.repositoryId)) attention.push({ kind: 'item-left-out', repository: names.get(item.repositoryId) ?? item.repository, repositoryId: item.repositoryId, at: iso(item.firstAt), message: leftOutMessage(item) });
  }
  if (deadLetters) {
    attention.push({ kind: 'dead-letters', repository: null, repositoryId: null, at: null, message: `${deadLetters} dead ${deadLetters === 1 ? 'letter' : 'letters'}: deliveries PanDev did not take; see why with \`pandev-bitbucket dead-letters list\`, fix the cause, then \`pandev-bitbucket dead-letters replay --all\`` });
  }
  for (const notice of await recentNotices(store, now)) {
    attention.push({ kind: notice.kind, repository: notice.repository ?? names.get(notice.repositoryId) ?? null, repositoryId: notice.repositoryId, at: iso(notice.at), message: notice.message });
  }
  const webhooks = await readWebhooks(store, now);
  for (const item of webhooks.attention) attention.push({ ...item, repository: null, repositoryId: null });
  return {
    database: store.file,
    outbox,
    retrying,
    deadLetters,
    last24h: { delivered: outcomes.delivered, retried: outcomes.retried, dead: outcomes.dead, dropped: outcomes.dropped },
    attention,
    repositories,
    backfill: await readBackfill(store, now),
    pullRequestOrder: await pullRequestOrder(store),
    webhooks: webhooks.webhooks,
    rateLimited: limited ? { since: iso(limited.since)!, lastAt: iso(limited.lastAt)!, until: iso(limited.until)!, advice: rateLimitAdvice(limited.edition) } : null,
  };
}

const HOUR_MS = 3_600_000;

/** Data Center's limiter is the administrator's to raise; Cloud's hour per user (or access token) is fixed. */
function rateLimitAdvice(edition: RateLimited['edition']): string {
  return edition === 'cloud'
    ? "nothing to fix; if it lasts, lower BITBUCKET_REQUESTS_PER_HOUR so the bridge paces itself within Cloud's hour (Cloud's limit per user cannot be raised), or move other tools off this user or token (give the bridge an access token of its own: each has its own hour)"
    : 'nothing to fix; if it lasts, raise the limit for this user in Bitbucket (or give the bridge a user of its own), or lower BITBUCKET_CONCURRENCY / BITBUCKET_REQUESTS_PER_SECOND';
}

/** Under the backfill's lines: the reason a pass is slow, when Bitbucket's rate limit is it. */
function rateLimitLines(limited: StatusReport['rateLimited'], now: number): string[] {
  if (!limited) return [];
  const waiting = Date.parse(limited.until) > now ? `it waits until ${limited.until}` : `last refused ${limited.lastAt}; reads go on at the pace it allows`;
  return [`rate limit  Bitbucket is rate-limiting the bridge (429) since ${limited.since}: ${waiting}. ${limited.advice[0]!.toUpperCase()}${limited.advice.slice(1)}`];
}

async function pullRequestOrder(store: KeyValueStore): Promise<StatusReport['pullRequestOrder']> {
  const order = await pollState(store).listOrder();
  return order ? { byCreation: true, repository: order.repository, seenAt: new Date(order.at).toISOString() } : null;
}

/** `status` runs without the tokens, and the connection it reads holds none. */
const noSecrets: SecretStore = { get: async () => undefined, set: async () => undefined, delete: async () => undefined };

async function all(store: KeyValueStore, prefix: string): Promise<Array<{ key: string; value: unknown }>> {
  const entries: Array<{ key: string; value: unknown }> = [];
  let cursor: string | undefined;
  do {
    const page = await store.list<unknown>(prefix, { cursor, limit: 500 });
    entries.push(...page.entries);
    cursor = page.cursor;
  } while (cursor);
  return entries;
}

// Data Center leaves a repository its user may no longer read out of the listing as it does a deleted
// one, and answers nothing the bridge could tell them apart by: a project whose permission was taken
// from the token's user goes quiet with no error, so this line is where an operator can learn why.
const NOT_POLLED = 'no longer polled: the last listing of the repositories left it out (deselected by BITBUCKET_PROJECTS / BITBUCKET_REPOS, deleted, another shard\'s, or the token\'s user can no longer read it: if it should be polled, give that user Repository read on it)';

/** `PROJECT/slug (id)`: the name people know, the id the state, the log and the metrics also use. */
const label = (name: string | null, id: string | null) => (name ? `${name} (${id})` : `repository ${id}`);

/** Their messages say when themselves, in their own words. */
const TIMED_MESSAGES = new Set<string>(['repository-failing', 'pull-request-skipped', 'item-left-out']);

export function formatStatus(report: StatusReport): string {
  const lines = [`state       ${report.database}`];
  if (report.attention.length) {
    lines.push(`needs attention (${report.attention.length}):`);
    for (const item of report.attention) lines.push(`  ${item.repositoryId ? `${label(item.repository, item.repositoryId)}: ` : ''}${item.at && !TIMED_MESSAGES.has(item.kind) ? `${item.at} ` : ''}${item.message}`);
  } else {
    lines.push('nothing needs attention');
  }
  lines.push(
    outboxLine(report.outbox, report.retrying),
    `dead        ${report.deadLetters} (pandev-bitbucket dead-letters list)`,
    `last 24 h   ${report.last24h.delivered} delivered, ${report.last24h.retried} retried, ${report.last24h.dead} dead, ${report.last24h.dropped} dropped`,
    ...webhookLines(report.webhooks),
    ...backfillLines(report.backfill),
    ...rateLimitLines(report.rateLimited, Date.now()),
    // Not for attention: nothing is lost, it only costs requests; but an operator wondering why should read it here.
    ...(report.pullRequestOrder
      ? [`pull-request order  by creation (seen on ${report.pullRequestOrder.repository} ${report.pullRequestOrder.seenAt}): every pass reads each repository's whole pull-request list, which costs more requests; please tell PanDev support your Bitbucket version`]
      : []),
    `repositories (${report.repositories.length}):${report.repositories.length ? '' : ' no poll pass has finished yet'}`,
  );
  for (const repo of report.repositories) {
    const state = repo.notPolled ? `  ${NOT_POLLED}` : repo.notRead ? `  ${repo.notRead.join(' and ').toUpperCase()} NOT READ (above)` : repo.error ? '  FAILING (above)' : '';
    lines.push(`  ${label(repo.name, repo.id)}  last good poll ${repo.lastSuccessAt ?? 'never'}${state}`);
    for (const skip of repo.skipped) lines.push(`      pull request ${skip.pullRequest} skipped ${skip.failures}×: ${skip.reason}`);
  }
  return printable(lines.join('\n'));
}

/** formatDuration says "under 1 min" for the last minute, which "about" would turn into nonsense. */
function timeLeft(etaSeconds: number | null): string {
  if (etaSeconds === null) return 'the time left is known once a repository is done';
  return etaSeconds < 60 ? 'under 1 min left' : `about ${formatDuration(etaSeconds)} left`;
}

function backfillLines(backfill: StatusReport['backfill']): string[] {
  return [...firstPassLines(backfill), ...rereadLines(backfill.reread)];
}

function firstPassLines(backfill: StatusReport['backfill']): string[] {
  const { state, repositoriesDone, repositories, pullRequests } = backfill;
  if (state === 'none') return [];
  if (state === 'done') return [`backfill    done${backfill.finishedAt ? ` ${backfill.finishedAt}` : ''}: the first pass over ${repositories} ${repositories === 1 ? 'repository' : 'repositories'} is complete`];
  const read = pullRequests === null ? '' : `, ${pullRequests.toLocaleString('en')} pull requests read`;
  const left = timeLeft(backfill.etaSeconds);
  const lines = [`backfill    ${repositoriesDone} of ${repositories} repositories done${read} since ${backfill.startedAt}; ${left}`];
  if (backfill.budgetWaitUntil) lines.push(`            waiting for Bitbucket Cloud's hourly request budget (BITBUCKET_REQUESTS_PER_HOUR) until ${backfill.budgetWaitUntil}: nothing to fix, reads go on then`);
  return lines;
}

/** `backfill --days N`: the first pass's line would say "done" while the wider window is still being read. */
function rereadLines(reread: StatusReport['backfill']['reread']): string[] {
  if (!reread) return [];
  const { days, repositoriesDone, repositories } = reread;
  const window = `re-read     the last ${days} days (backfill --days ${days})`;
  if (reread.state === 'done') return [`${window}: done ${reread.finishedAt}, ${repositories} ${repositories === 1 ? 'repository' : 'repositories'} read again since ${reread.startedAt}`];
  const progress = `${repositoriesDone} of ${repositories} repositories done since ${reread.startedAt}`;
  if (reread.state === 'running') return [`${window}: ${progress}`];
  return [`${window}: unfinished, ${progress}; the backfill ended ${reread.endedAt} before it was done. Run \`pandev-bitbucket backfill --days ${days}\` again and it resumes where it stopped`];
}
