import { buildStatusEvents } from '../../core/enrich/datacenter/ref-events';
import type { DcSource } from '../../core/enrich/datacenter/pull-request-events';
import { BuildStatus, epochMs, type Repository } from '../../core/enrich/datacenter/schema';
import { BitbucketError } from '../../core/errors';
import { stageAndQueue, type PollDeps } from './deps';
import type { RepositoryCursor } from './state';

// Build statuses arrive minutes after a push, so the tips a pass saw move are watched for a while and
// their statuses read on each pass; a new key or a new state of one becomes a delivery. Instances
// without the build-status resource (it is a bundled plugin that can be off) answer 404: the bridge
// then leaves builds alone for that repository for a day.

const WATCH_MS = 2 * 3600_000;
const MAX_WATCHED = 10;
const RETRY_UNSUPPORTED_MS = 24 * 3600_000;

export async function pollBuilds(repository: Repository, cursor: RepositoryCursor, moved: Array<{ id: string; at: number }>, deps: PollDeps): Promise<{ staged: number; unsupported?: boolean }> {
  const now = deps.ctx.clock.now();
  if (cursor.buildsUnsupportedUntil && cursor.buildsUnsupportedUntil > now) return { staged: 0 };
  const repo = String(repository.id);
  const watch = await deps.state.builds(repo);
  const watched = new Map(watch.commits.filter((c) => c.until > now).map((c) => [c.id, c.until]));
  // Every moved tip is read once (a backfill replays its builds); only recent ones are watched on.
  const once = moved.filter((tip) => tip.at < now - WATCH_MS).map((tip) => tip.id);
  for (const tip of moved) if (tip.at >= now - WATCH_MS) watched.set(tip.id, now + WATCH_MS);
  const source: DcSource = { instance: deps.instance, repository, origin: cursor.lastSuccessAt ? 'poll' : 'backfill' };
  let staged = 0;
  for (const commit of [...once, ...[...watched.keys()].slice(-MAX_WATCHED)]) {
    const statuses: BuildStatus[] = [];
    try {
      for await (const page of deps.client.pages({ endpoint: 'buildStatuses', params: { commitId: commit } }, BuildStatus, { limit: 100, maxPages: 5 })) statuses.push(...page);
    } catch (error) {
      if (error instanceof BitbucketError && error.kind === 'not-found') return { staged, unsupported: true };
      throw error;
    }
    const seen = await deps.state.buildStates(repo, commit);
    const next = { ...seen };
    const events = statuses.flatMap((status) => {
      const when = status.updatedDate ?? status.dateAdded ?? status.createdDate;
      const version = `${status.state}@${when === undefined ? '' : epochMs(when)}`;
      if (seen[status.key] === version) return [];
      next[status.key] = version;
      return buildStatusEvents(source, commit, status, seen[status.key] === undefined);
    });
    staged += await stageAndQueue(events, deps);
    if (events.length) await deps.state.saveBuildStates(repo, commit, next);
  }
  await deps.state.saveBuilds(repo, { commits: [...watched].slice(-MAX_WATCHED).map(([id, until]) => ({ id, until })) });
  return { staged };
}

export const buildsUnsupportedFor = RETRY_UNSUPPORTED_MS;
