import type { Repository } from '../../core/enrich/datacenter/schema';
import { BitbucketError } from '../../core/errors';
import { StoppingError } from '../http/bitbucket';
import { readBuildsOnce, watchTips, watchWindowMs } from './builds';
import type { PollDeps } from './deps';
import { datacenterFailureReason } from './failure-reason';
import { pollPullRequests, type PullRequestPass } from './pull-requests';
import { nextPullRequestsCut } from './pull-requests-cut';
import { pollRefs, type MovedTips, type RefPass } from './refs';
import { nextRefsCut } from './refs-cut';
import type { RepositoryCursor } from './state';

// One repository, one pass. The cursor moves only when the pass got through; pull requests that
// failed on their own are in the retry list and do not hold it back.
//
// What a pass reads. Data Center has no single request that proves nothing changed in a repository:
// the pull-request list (`state=ALL&order=NEWEST`, newest update first) misses pushes to branches
// without a pull request, the branch list (`orderBy=MODIFICATION`) misses comments, approvals and
// edits, and neither the repository (no modification time in RestRepository), its project, nor any
// instance-wide resource a PAT may read changes with either (ref-change-activities needs REPO_ADMIN
// and covers refs only; the dashboard lists only the token owner's pull requests). So:
// - the first pass (the backfill) reads everything;
// - a repository where the previous pass found something new reads both feeds (it is being worked on);
// - a quiet repository reads one feed per pass, the pull requests and the branches in turn (tags in
//   place of one of them every TAGS_EVERY passes). If that one read finds anything, the other feed is
//   read in the same pass and the repository counts as active for the next.
// Reading a feed less often loses nothing: each read resumes from its own cursor (the pull-request
// watermark, the delivered tip of every branch) and reads on until it reaches what it saw last. What a
// quiet repository trades is latency: a change is seen within two passes instead of one (three when a
// tag pass falls between); webhooks, when configured, deliver it at once anyway. Under a request cap
// (Data Center's own limiter, BITBUCKET_REQUESTS_PER_SECOND) a pass over a large instance takes half
// as long, so each feed is read as often in wall-clock time as before.

/** Tags are listed every this many passes (about every ten minutes at the default minute). */
const TAGS_EVERY = 10;

export interface RepositoryPassResult {
  repository: string;
  ok: boolean;
  staged: number;
  skipped: Array<{ id: number; reason: string }>;
  error?: string;
  /** The repository answered 404: the list it came from is out of date (renamed, moved, deleted). */
  relist?: boolean;
  /** The token was refused (see PollOutcome): the cursor is left as it was, and the pass ends. */
  refused?: boolean;
  /** Cut short by the bridge stopping, which is no failure of the repository. */
  stopped?: boolean;
  /** The repository's first pass (its backfill): what it staged is history, not news. */
  firstPass?: boolean;
}

type Feed = 'pulls' | 'branches' | 'tags';

export async function pollRepository(repository: Repository, passDeps: PollDeps): Promise<RepositoryPassResult> {
  // Counted as staged, not from the feeds' results: a stop between two feeds must not report 0.
  let stagedSoFar = 0;
  const deps: PollDeps = { ...passDeps, onStaged: (count) => void (stagedSoFar += count) };
  const repo = String(repository.id);
  const name = `${repository.project.key}/${repository.slug}`;
  const now = deps.ctx.clock.now();
  const since = now - deps.backfillDays * 86_400_000;
  const cursor: RepositoryCursor = (await deps.state.cursor(repo)) ?? { since, watermark: since, passesSinceTags: 0, refsKnown: false, fullBranchesDue: false, probe: 'pulls', active: false };
  const first = !cursor.refsKnown;
  const tagsDue = cursor.passesSinceTags + 1 >= TAGS_EVERY;
  // With the tags, the branch list is read in full once (now, or when next read): see refs.ts.
  const fullBranches = cursor.fullBranchesDue || tagsDue;
  let branchesRead = false;
  let pulls: PullRequestPass | undefined;
  try {
    const refs: RefPass = { staged: 0, changed: false, listed: {} };
    const read = async (feed: Feed) => {
      if (feed === 'pulls') pulls = await pollPullRequests(repository, cursor, deps);
      else {
        branchesRead ||= feed === 'branches';
        const found = await pollRefs(repository, cursor, deps, { branches: feed === 'branches', tags: feed === 'tags' || first, fullBranches: feed === 'branches' && fullBranches, builds: (tips) => builds(repository, first, tips, deps) });
        refs.staged += found.staged;
        refs.changed ||= found.changed;
        Object.assign(refs.listed, found.listed);
      }
    };
    const changed = () => (pulls?.changed ?? 0) > 0 || refs.changed;
    let probe: Feed | undefined;
    if (first || cursor.active) {
      await read('pulls');
      await read('branches');
      if (tagsDue && !first) await read('tags');
    } else {
      probe = tagsDue ? 'tags' : cursor.probe;
      await read(probe);
      // Something moved: this repository is being worked on, so the rest is read now, not next pass.
      if (changed()) {
        if (probe !== 'pulls') await read('pulls');
        if (probe !== 'branches') await read('branches');
      }
    }
    const staged = (pulls?.staged ?? 0) + refs.staged;
    const refsCut = nextRefsCut(cursor.refsCut, refs.listed, now, deps.log, name);
    // A pass that did not read the pull requests (a quiet one's probe) leaves the record as it was.
    const pullRequestsCut = pulls ? nextPullRequestsCut(cursor.pullRequestsCut, pulls.cut, now, deps.log, name) : cursor.pullRequestsCut;
    await deps.state.saveCursor(repo, {
      ...cursor,
      name,
      unlisted: undefined,
      watermark: pulls?.watermark ?? cursor.watermark,
      lastPassAt: now,
      lastSuccessAt: now,
      passesSinceTags: first || tagsDue ? 0 : cursor.passesSinceTags + 1,
      refsKnown: true,
      fullBranchesDue: !first && fullBranches && !branchesRead,
      probe: probe === 'pulls' ? 'branches' : probe === 'branches' ? 'pulls' : cursor.probe,
      active: !first && changed(),
      error: undefined,
      refsCut,
      pullRequestsCut,
    });
    const skipped = pulls?.failed ?? (await deps.state.retries(repo)).map((r) => ({ id: r.id, reason: r.reason }));
    return { repository: name, ok: true, staged, skipped, ...(first ? { firstPass: true } : {}) };
  } catch (error) {
    // Stopping: what was staged is in the outbox, and the cursor stays, so the next start reads on. The
    // pull requests a finished pull-request read set aside are on record (and logged) as skipped.
    if (error instanceof StoppingError) return { repository: name, ok: false, stopped: true, staged: stagedSoFar, skipped: pulls?.failed ?? [] };
    const reason = datacenterFailureReason(error, { name, selector: name });
    // Not this repository's failure: its cursor stays as the last good pass left it, and the runner says
    // once, for the instance, what to do.
    if (error instanceof BitbucketError && error.kind === 'unauthorized') return { repository: name, ok: false, refused: true, staged: 0, skipped: [], error: reason };
    await deps.state.saveCursor(repo, { ...cursor, name, unlisted: undefined, lastPassAt: now, error: reason });
    deps.log.warn({ repository: name, reason }, 'repository poll failed; it is tried again next pass');
    // A 404 here is most often a rename or a move to another project: the slug the list gave is gone.
    const relist = error instanceof BitbucketError && error.kind === 'not-found';
    return { repository: name, ok: false, staged: 0, skipped: [], error: reason, ...(relist ? { relist } : {}) };
  }
}

/**
 * Moved tips' build statuses: a backfill reads those pushed before the watch window once, here; every
 * other moved tip is watched, and the pass's end looks at all watched tips of the instance together
 * (builds.ts).
 */
async function builds(repository: Repository, first: boolean, moved: Parameters<MovedTips>[0], deps: PollDeps): Promise<number> {
  const old = first ? moved.filter((tip) => tip.at < deps.ctx.clock.now() - watchWindowMs).map((tip) => tip.id) : [];
  const recent = moved.map((tip) => tip.id).filter((id) => !old.includes(id));
  await watchTips({ id: String(repository.id), name: `${repository.project.key}/${repository.slug}` }, recent, first ? 'backfill' : 'poll', deps);
  return readBuildsOnce(repository, old, deps);
}
