import type { Repository } from '../../core/enrich/datacenter/schema';
import { BitbucketError, errorMessage } from '../../core/errors';
import { buildsUnsupportedFor, pollBuilds } from './builds';
import type { PollDeps } from './deps';
import { pollPullRequests } from './pull-requests';
import { pollRefs } from './refs';
import type { RepositoryCursor } from './state';

// One repository, one pass: pull requests, refs, builds. The cursor moves only when the pass got
// through; pull requests that failed on their own are in the retry list and do not hold it back.

/** Tags are listed every this many passes (about every ten minutes at the default minute). */
const TAGS_EVERY = 10;

export interface RepositoryPassResult {
  repository: string;
  ok: boolean;
  staged: number;
  skipped: Array<{ id: number; reason: string }>;
  error?: string;
}

export async function pollRepository(repository: Repository, deps: PollDeps): Promise<RepositoryPassResult> {
  const repo = String(repository.id);
  const name = `${repository.project.key}/${repository.slug}`;
  const now = deps.ctx.clock.now();
  const since = now - deps.backfillDays * 86_400_000;
  const cursor: RepositoryCursor = (await deps.state.cursor(repo)) ?? { since, watermark: since, passesSinceTags: 0, refsKnown: false };
  try {
    const pulls = await pollPullRequests(repository, cursor, deps);
    const tags = cursor.passesSinceTags + 1 >= TAGS_EVERY;
    const refs = await pollRefs(repository, cursor, deps, { tags });
    const builds = await pollBuilds(repository, cursor, refs.moved, deps);
    await deps.state.saveCursor(repo, {
      ...cursor,
      watermark: pulls.watermark,
      lastPassAt: now,
      lastSuccessAt: now,
      passesSinceTags: tags ? 0 : cursor.passesSinceTags + 1,
      refsKnown: true,
      ...(builds.unsupported ? { buildsUnsupportedUntil: now + buildsUnsupportedFor } : {}),
      error: undefined,
    });
    return { repository: name, ok: true, staged: pulls.staged + refs.staged + builds.staged, skipped: pulls.failed };
  } catch (error) {
    const reason = error instanceof BitbucketError && error.kind === 'unauthorized'
      ? `${errorMessage(error)} — the personal access token expired or was revoked: create a new one, set it, restart, and run \`pandev-bitbucket check\``
      : errorMessage(error);
    await deps.state.saveCursor(repo, { ...cursor, lastPassAt: now, error: reason });
    deps.log.warn({ repository: name, reason }, 'repository poll failed; it is tried again next pass');
    return { repository: name, ok: false, staged: 0, skipped: [], error: reason };
  }
}
