import { z } from 'zod';
import { buildStatusEvents } from '../../core/enrich/datacenter/ref-events';
import type { DcSource } from '../../core/enrich/datacenter/pull-request-events';
import { BuildStatus, buildStatusTime, epochMs, type Repository } from '../../core/enrich/datacenter/schema';
import { firstIssue } from '../../core/enrich/answer';
import { BitbucketError, errorMessage } from '../../core/errors';
import type { KeyedLock } from '../util/keyed-lock';
import { stageAndQueue, type PollDeps } from './deps';
import { dcNamed, readable } from './left-out';
import type { WatchedCommit } from './state';

// Build statuses. Data Center has no build-status webhook and no feed of them, and they arrive minutes
// after a push: so the tips a pass (or a webhook) saw move are watched for two hours. Each pass then
// asks, for every watched commit of the whole instance at once, how many builds it has in each state
// (`POST /rest/build-status/1.0/commits/stats`, up to 100 commits a request), and reads the statuses
// themselves only of commits whose counts changed; a new key or a new state of one becomes a delivery.
// An idle instance therefore spends one request per pass on builds while anything is watched, and none
// once nothing was pushed for two hours.
//
// Counts can stay the same while statuses change: a build run again that ends as it did before, or two
// keys trading states within one pass. So every watched commit also gets one detailed read when its
// watch ends, which delivers such a last state (under its own id: key, state and time). Instances
// without the counts resource fall back to a detailed read per watched commit and pass; instances
// without the build-status resource at all (it is a bundled plugin that can be off) answer 404, and
// builds are then left alone for a day.

const WATCH_MS = 2 * 3600_000;
/**
 * Per repository, more tips than one sees moved in two hours, a bot's burst included (Renovate
 * rebasing a monorepo's hundred-odd branches at once): each 100 cost one counts request a pass, so a
 * full watch costs ten. Beyond it the oldest watches end at once, with their last read at the pass's
 * end (usually before their builds report), and a warning; none is dropped unread. At 100, such a
 * burst lost the builds of every tip past the hundredth.
 */
const MAX_WATCHED = 1000;
const OFF_FOR_MS = 24 * 3600_000;
const STATS_BATCH = 100;

/**
 * Read entry by entry: one commit's counts in an unexpected shape used to fail the whole answer, and
 * the resource was taken for missing for a day (a request per watched commit and pass instead).
 */
const Counts = z.record(z.string(), z.unknown());
const count = z.number().optional();
const CommitCounts = z.looseObject({ successful: count, failed: count, inProgress: count, cancelled: count, unknown: count });

/** Each commit's counts as a comparable string ('none': no builds), or null where its entry could not be read. */
type CountsByCommit = Map<string, string | null>;

/** Ended-early commits named in the warning, at most: a burst of thousands would make one huge log line. */
const NAMED_IN_WARNING = 100;

/**
 * Puts moved tips on the repository's watch (from now: a push is live whatever its commits' dates).
 * `name` (PROJECT/slug) is for the operator: the state is keyed by `id`, which survives renames.
 */
export async function watchTips(repository: { id: string; name: string }, tips: string[], origin: NonNullable<WatchedCommit['o']>, deps: Pick<PollDeps, 'state' | 'ctx'>): Promise<void> {
  if (!tips.length) return;
  const repo = repository.id;
  const now = deps.ctx.clock.now();
  const watch = await deps.state.builds(repo);
  const commits = new Map(watch.commits.map((c) => [c.id, c]));
  for (const id of tips) {
    const known = commits.get(id);
    commits.delete(id);
    commits.set(id, { ...known, id, until: now + WATCH_MS, o: known?.o ?? origin });
  }
  // Oldest first (a tip moved again goes to the end); watches already ending wait for their last read.
  const watching = [...commits.values()].filter((c) => c.until > now);
  const over = watching.slice(0, Math.max(0, watching.length - MAX_WATCHED));
  for (const commit of over) commits.set(commit.id, { ...commit, until: now });
  if (over.length) {
    // Which commits, so the operator can check their builds in Bitbucket (or replay them another way).
    const named = over.slice(0, NAMED_IN_WARNING).map((commit) => commit.id);
    const more = over.length - named.length;
    deps.ctx.log.warn(
      { repository: repository.name, repositoryId: repo, ended: over.length, watched: MAX_WATCHED, commits: named, ...(more ? { more } : {}) },
      'more tips moved within two hours than are watched; the oldest (commits) get their last build-status read now, and builds they report later are not seen',
    );
    await deps.state.notice({
      kind: 'build-watches-ended',
      repositoryId: repo,
      repository: repository.name,
      at: now,
      message: `the build watches of ${over.length} ${over.length === 1 ? 'commit' : 'commits'} ended early (more than ${MAX_WATCHED} tips moved within two hours): builds they report later are not sent to PanDev; check them in Bitbucket: ${named.join(', ')}${more ? ` and ${more} more (in the log)` : ''}`,
    });
  }
  await deps.state.saveBuilds(repo, { commits: [...commits.values()] });
}

/** A backfill's old tips: their builds are long finished, so they are read once and not watched. */
export async function readBuildsOnce(repository: Repository, commits: string[], deps: PollDeps): Promise<number> {
  if (!commits.length || (await buildsOff(deps))) return 0;
  let staged = 0;
  try {
    for (const commit of commits) staged += await readStatuses(repository, commit, 'backfill', deps);
  } catch (error) {
    if (!(await noteMissingResource(error, deps))) throw error;
  }
  return staged;
}

/** Tips older than the watch window, by their commit time, as a first pass sees them. */
export const watchWindowMs = WATCH_MS;

/**
 * One look at every watched commit of these repositories, after a pass. Answers how many deliveries
 * it staged; Bitbucket failures are logged and the watches kept for the next pass.
 */
export async function pollBuildWatches(repositories: Repository[], deps: PollDeps, lock: KeyedLock): Promise<number> {
  if (await buildsOff(deps)) return 0;
  const now = deps.ctx.clock.now();
  const watched: Array<{ repository: Repository; commits: WatchedCommit[] }> = [];
  for (const repository of repositories) {
    const { commits } = await deps.state.builds(String(repository.id));
    if (commits.length) watched.push({ repository, commits });
  }
  if (!watched.length) return 0;
  let staged = 0;
  try {
    const counts = await buildCounts(watched.flatMap((w) => w.commits.filter((c) => c.until > now).map((c) => c.id)), deps);
    for (const { repository } of watched) {
      const repo = String(repository.id);
      staged += await lock(repo, async () => {
        // Read again under the lock: a webhook may have added a tip since.
        const watch = await deps.state.builds(repo);
        const kept: WatchedCommit[] = [];
        let found = 0;
        for (const commit of watch.commits) {
          const ending = commit.until <= now;
          const entry = counts?.get(commit.id);
          // Without its counts a commit is read in detail, and compared next pass with what it had before.
          const known = counts !== undefined && entry !== null;
          const seen = entry ?? 'none';
          if (ending || !known || seen !== (commit.s ?? 'none')) found += await readStatuses(repository, commit.id, commit.o === 'backfill' ? 'backfill' : 'poll', deps);
          if (!ending) kept.push({ ...commit, ...(known ? { s: seen } : {}) });
        }
        await deps.state.saveBuilds(repo, { commits: kept });
        return found;
      });
    }
  } catch (error) {
    if (await noteMissingResource(error, deps)) return staged;
    if (!(error instanceof BitbucketError) || error.kind === 'unauthorized') throw error;
    deps.log.warn({ reason: errorMessage(error) }, 'build statuses not read this pass; the watched commits are looked at again next pass');
  }
  return staged;
}

/** Each watched commit's counts; undefined when the instance has no counts resource. */
async function buildCounts(ids: string[], deps: PollDeps): Promise<CountsByCommit | undefined> {
  if (!ids.length) return new Map();
  const api = await deps.state.buildApi();
  if ((api.statsOffUntil ?? 0) > deps.ctx.clock.now()) return undefined;
  const counts: CountsByCommit = new Map();
  const unreadable: string[] = [];
  try {
    for (let i = 0; i < ids.length; i += STATS_BATCH) {
      const batch = ids.slice(i, i + STATS_BATCH);
      const answer = await deps.client.query({ endpoint: 'buildStats' }, batch, Counts);
      for (const id of batch) {
        const key = Object.hasOwn(answer, id) ? id : id.toLowerCase();
        if (!Object.hasOwn(answer, key)) continue;
        const entry = CommitCounts.safeParse(answer[key]);
        counts.set(id, entry.success ? stateCounts(entry.data) : null);
        if (!entry.success) unreadable.push(`commit ${id.slice(0, 12)} (${firstIssue(answer[key], entry.error)})`);
      }
    }
  } catch (error) {
    // Not there (removed, or an older or newer instance than the 9.x spec): read each commit instead.
    if (error instanceof BitbucketError && (error.kind === 'not-found' || error.kind === 'client' || error.kind === 'malformed')) {
      await deps.state.saveBuildApi({ ...api, statsOffUntil: deps.ctx.clock.now() + OFF_FOR_MS });
      deps.log.info({ reason: errorMessage(error) }, 'the build-status counts resource is not available; each watched commit is read instead (for a day)');
      return undefined;
    }
    throw error;
  }
  // Nothing is lost (those commits' statuses are read one by one), but an instance that keeps
  // answering so costs a request per such commit and pass: worth a line for support.
  if (unreadable.length) deps.log.warn({ commits: unreadable }, "Bitbucket answered the build counts of these commits in an unexpected shape; their build statuses are read one by one this pass instead");
  return counts;
}

function stateCounts(stats: z.infer<typeof CommitCounts>): string {
  const n = (name: 'successful' | 'failed' | 'inProgress' | 'cancelled' | 'unknown') => stats[name] ?? 0;
  return `${n('successful')}/${n('failed')}/${n('inProgress')}/${n('cancelled')}/${n('unknown')}`;
}

/** Reads one commit's statuses and stages what is new; answers how many deliveries. */
async function readStatuses(repository: Repository, commit: string, origin: DcSource['origin'], deps: PollDeps): Promise<number> {
  const repo = String(repository.id);
  const statuses: BuildStatus[] = [];
  for await (const page of deps.client.pages({ endpoint: 'buildStatuses', params: { commitId: commit } }, z.unknown(), { limit: 100, maxPages: 5 })) statuses.push(...(await readable(page, BuildStatus, dcNamed.status(commit), repository, deps)));
  if (!statuses.length) return 0;
  const seen = await deps.state.buildStates(repo, commit);
  const next = { ...seen };
  const source: DcSource = { instance: deps.instance, repository, origin };
  const events = statuses.flatMap((status) => {
    const when = buildStatusTime(status);
    const version = `${status.state}@${when === undefined ? '' : epochMs(when)}`;
    if (seen[status.key] === version) return [];
    next[status.key] = version;
    return buildStatusEvents(source, commit, status, seen[status.key] === undefined);
  });
  const staged = await stageAndQueue(events, deps);
  if (events.length) await deps.state.saveBuildStates(repo, commit, next);
  return staged;
}

async function buildsOff(deps: PollDeps): Promise<boolean> {
  return ((await deps.state.buildApi()).offUntil ?? 0) > deps.ctx.clock.now();
}

/** A 404 from the build-status resource: the plugin is off; builds are left alone for a day. */
async function noteMissingResource(error: unknown, deps: PollDeps): Promise<boolean> {
  if (!(error instanceof BitbucketError) || error.kind !== 'not-found' || !error.path.includes('/rest/build-status/')) return false;
  await deps.state.saveBuildApi({ ...(await deps.state.buildApi()), offUntil: deps.ctx.clock.now() + OFF_FOR_MS });
  deps.log.info({ reason: errorMessage(error) }, 'this instance has no build-status resource; build statuses are not read (for a day)');
  return true;
}
