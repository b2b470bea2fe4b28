import { z } from 'zod';
import { refMoveEvents, type RefMove } from '../../core/enrich/datacenter/ref-events';
import { isoTime, type DcSource } from '../../core/enrich/datacenter/pull-request-events';
import { Branch, Commit, epochMs, type Repository } from '../../core/enrich/datacenter/schema';
import { REF_RENEW_MS, refStateStore } from '../../core/pipeline/ref-state';
import { moveCommits } from './commits';
import { stageAndQueue, type PollDeps } from './deps';
import { dcNamed, leaveOut, readable } from './left-out';
import { REF_MAX_PAGES as MAX_PAGES, REF_PAGE as PAGE, type RefListings } from './refs-cut';
import type { RepositoryCursor } from './state';

// Branches (and, every few passes, tags) that moved since the bridge last delivered them become
// repo:refs_changed pushes. Branches are listed by their tip commit's date, newest first
// (`orderBy=MODIFICATION`), so a pass reads pages only until the first branch whose tip it already
// delivered: an idle repository costs one request here, and any number of branches that moved to new
// commits are found (the next page is read while every branch on a page moved). A branch moved to an
// older commit (a fast-forward to an existing commit, a reset, a new branch from an old one) sorts
// below the known ones, so that early stop can miss it: every few passes (with the tags) the whole list
// is read and every tip compared.
// The first pass over a repository is its backfill: branches with commits inside the window become
// one push each, from the window's edge, and so do tags on a commit inside it (as the Cloud backfill
// sends them); older branches and tags are only remembered.
// Deleted branches and tags are not listed any more, so only webhooks report deletions.

export interface RefPass {
  /** Pushes, and the build statuses `builds` staged. */
  staged: number;
  /** Some branch or tag moved (even one that added no commits). */
  changed: boolean;
  /** The listings read to their end or cut at the page cap (refs-cut.ts). */
  listed: RefListings;
}

type RefType = 'BRANCH' | 'TAG';

/** Branch moves read before their builds go on record and they are staged (memory, not requests). */
const MOVES_HELD = 10;

/** Branch tips that moved, with their commit time; answers how many build statuses it staged. */
export type MovedTips = (tips: Array<{ id: string; at: number }>) => Promise<number>;

/** A branch move read, to be staged once its tip's builds are on record. */
type Pending = { tip: { id: string; at: number }; stage: () => Promise<void> };

export async function pollRefs(repository: Repository, cursor: RepositoryCursor, deps: PollDeps, options: { branches: boolean; tags: boolean; fullBranches?: boolean; builds: MovedTips }): Promise<RefPass> {
  const repo = String(repository.id);
  const params = { projectKey: repository.project.key, repositorySlug: repository.slug };
  const source: DcSource = { instance: deps.instance, repository, origin: cursor.refsKnown ? 'poll' : 'backfill' };
  const refs = refStateStore(deps.ctx.store);
  const result: RefPass = { staged: 0, changed: false, listed: {} };
  const first = !cursor.refsKnown;
  const pending: Pending[] = [];
  // The commits a first pass read, with their times, and whether they hold every commit inside the
  // window: then a tag on a commit not among them is older (no request to tell); else its commit is read.
  const inWindow = new Map<string, number>();
  let allInWindow = true;
  /** The default branch's commits inside the window are all in `inWindow` (read this pass, not cut short). */
  let defaultInWindow = false;

  // The moved tips' builds go on record (watched, or read once) before their pushes are staged: staging
  // records each branch's new tip, and a kill after that would leave a tip no later pass takes for a move.
  const flush = async (): Promise<void> => {
    const moves = pending.splice(0);
    if (!moves.length) return;
    result.staged += await options.builds(moves.map((move) => move.tip));
    for (const move of moves) await move.stage();
  };

  const visit = async (type: RefType, ref: Branch, defaultTip: string | undefined): Promise<'moved' | 'same' | 'stale'> => {
    const kind = type === 'TAG' ? 'tag' : 'branch';
    const known = await refs.get(repo, kind, ref.displayId);
    // A branch known before this first pass (one run again after failing) is not read from the window's edge.
    if (first && known && type === 'BRANCH') allInWindow = false;
    const tip = refTip(type, ref);
    if (known?.tip === tip) {
      // Kept 400 days from its last write: one standing still longer (a release tag, a dormant branch)
      // would lapse and be taken for a new one, announced to PanDev again with its commits.
      if (deps.ctx.clock.now() - (known.seenAt ?? known.at) > REF_RENEW_MS) await refs.set(repo, kind, ref.displayId, { ...known, seenAt: deps.ctx.clock.now() });
      return 'same';
    }
    const origin = source.origin;
    const remember = () => refs.set(repo, kind, ref.displayId, { tip, at: deps.ctx.clock.now(), origin });
    // Bridges before this one recorded an annotated tag by its commit: the same tag, not a move.
    if (type === 'TAG' && known?.tip === ref.latestCommit) {
      await remember();
      return 'same';
    }
    if (!first) result.changed = true;
    if (type === 'TAG') {
      // When a tag was made is not in the REST API. A later pass found it since the one before: now
      // stands for it. For one the first pass found, its commit's time does.
      const at = first ? await tagTime(ref.latestCommit) : deps.ctx.clock.now();
      if (at !== undefined) result.staged += await stageAndQueue(refMoveEvents(move(source, type, ref, known?.tip ?? null, { commits: [], truncated: false, files: new Map() }, at)), deps);
      await remember();
      return 'moved';
    }
    const isDefault = ref.isDefault === true || (ref as { default?: boolean }).default === true;
    const exclude = known?.tip ?? (isDefault ? undefined : defaultTip);
    const commits = await moveCommits(deps.client, repository, { to: ref.latestCommit, ...(exclude ? { exclude } : {}), ...(known ? { orphaned: orphanedRange(repository, deps, ref.displayId, known.at) } : { notBefore: cursor.since }) }, (malformed) => leaveOut(malformed, repository, deps));
    if (first) {
      if (commits.truncated) allInWindow = false;
      if (isDefault && !known) defaultInWindow = !commits.truncated;
      for (const commit of commits.commits) if (commit.committerTimestamp !== undefined) inWindow.set(commit.id, epochMs(commit.committerTimestamp));
    }
    // Only a new branch whose own tip is older than the window proves the ones listed after it older
    // still. A delivered one (a first pass run again after failing) may have moved back to a recent
    // commit of its own, and a branch just started from the default branch adds nothing but may be
    // recent: both go on to the next branch.
    if (first && !known && commits.commits.length === 0) {
      await remember();
      const older = commits.beforeWindow || (!isDefault && (await tipOlder(ref.latestCommit)));
      return older ? 'stale' : 'same';
    }
    const tipTime = commits.commits[0]?.committerTimestamp;
    pending.push({
      tip: { id: ref.latestCommit, at: tipTime === undefined ? 0 : epochMs(tipTime) },
      stage: async () => {
        result.staged += await stageAndQueue(refMoveEvents(move(source, type, ref, known?.tip ?? null, commits, deps.ctx.clock.now())), deps);
        await remember();
      },
    });
    return 'moved';
  };

  /**
   * A branch that adds nothing to the default branch lists no commit of its own: its tip is one of the
   * default branch's commits, older than the window unless among those this pass read inside it. Only
   * when that read was not whole does its time take a request.
   */
  async function tipOlder(tip: string): Promise<boolean> {
    const read = inWindow.get(tip);
    if (read !== undefined) return read < cursor.since;
    if (defaultInWindow) return true;
    const at = await commitTime(repository, tip, deps);
    return at !== undefined && at < cursor.since;
  }

  /** A tag's commit's time when it is inside the window; undefined when older. */
  async function tagTime(commit: string): Promise<number | undefined> {
    const at = inWindow.get(commit) ?? (allInWindow ? undefined : await commitTime(repository, commit, deps));
    return at !== undefined && at >= cursor.since ? at : undefined;
  }

  async function readBranches(): Promise<void> {
    const branches = { endpoint: 'branches' as const, params, query: { orderBy: 'MODIFICATION', details: false } };
    if (!first) {
      // Most recently changed first: no further page once one holds a branch already delivered. The
      // whole page is looked at (it is read anyway): branches whose tips have the same time to the
      // second may come in any order.
      let defaultTip: string | undefined;
      let cut: number | undefined;
      for await (const listed of deps.client.pages(branches, z.unknown(), { firstLimit: 25, limit: PAGE, maxPages: MAX_PAGES, onCapped: (read) => (cut = read) })) {
        const page = await readable(listed, Branch, dcNamed.ref, repository, deps);
        defaultTip ??= page.find(isDefaultBranch)?.latestCommit;
        let reached = false;
        for (const branch of page) {
          // A new branch is read as what it adds to the default branch, wherever that is in the list.
          if (!defaultTip && !isDefaultBranch(branch) && !(await refs.get(repo, 'branch', branch.displayId))) defaultTip = await defaultBranchTip(repository, deps);
          if ((await visit('BRANCH', branch, defaultTip)) === 'same') reached = true;
        }
        await flush();
        if (reached && !options.fullBranches) return;
      }
      result.listed.branches = cut ?? 'whole';
      return;
    }
    const listed: Branch[] = [];
    let cut: number | undefined;
    for await (const page of deps.client.pages(branches, z.unknown(), { limit: PAGE, maxPages: MAX_PAGES, onCapped: (read) => (cut = read) })) listed.push(...(await readable(page, Branch, dcNamed.ref, repository, deps)));
    result.listed.branches = cut ?? 'whole';
    // The default branch first: other new branches are read as what they add to it.
    const byDefault = [...listed].sort((a, b) => Number(isDefaultBranch(b)) - Number(isDefaultBranch(a)));
    const defaultTip = byDefault.find(isDefaultBranch)?.latestCommit;
    // Branches come most recently changed first: in a backfill, once a new one's own tip is older than
    // the window, every one after it is too, and their tips are remembered without reading their commits.
    let stale = false;
    for (const branch of byDefault) {
      if (stale) {
        if (!(await refs.get(repo, 'branch', branch.displayId))) await refs.set(repo, 'branch', branch.displayId, { tip: branch.latestCommit, at: deps.ctx.clock.now(), origin: source.origin });
        continue;
      }
      const outcome = await visit('BRANCH', branch, defaultTip);
      if (outcome === 'stale' && !isDefaultBranch(branch)) stale = true;
      // A few at a time: each holds its commits (file lists included) until staged, and a backfill may
      // move thousands of branches.
      if (pending.length >= MOVES_HELD) await flush();
    }
    await flush();
  }

  if (first || options.branches) await readBranches();
  // Nor are the branches past a cut list. A tag on a commit no branch holds any more is taken for older.
  if (first && result.listed.branches !== 'whole') allInWindow = false;
  if (first || options.tags) {
    let cut: number | undefined;
    for await (const page of deps.client.pages({ endpoint: 'tags', params, query: { orderBy: 'MODIFICATION' } }, z.unknown(), { limit: PAGE, maxPages: MAX_PAGES, onCapped: (read) => (cut = read) })) {
      for (const tag of await readable(page, Branch, dcNamed.ref, repository, deps)) await visit('TAG', tag, undefined);
    }
    result.listed.tags = cut ?? 'whole';
  }
  return result;
}

async function commitTime(repository: Repository, commitId: string, deps: Pick<PollDeps, 'client'>): Promise<number | undefined> {
  const params = { projectKey: repository.project.key, repositorySlug: repository.slug, commitId };
  const commit = await deps.client.get({ endpoint: 'commit', params }, Commit);
  return commit.committerTimestamp === undefined ? undefined : epochMs(commit.committerTimestamp);
}

/** The default branch's tip as Bitbucket has it now (flagged in the branch list). */
export async function defaultBranchTip(repository: Repository, deps: Pick<PollDeps, 'client'>): Promise<string | undefined> {
  return (await defaultBranch(repository, deps))?.latestCommit;
}

/** The default branch as Bitbucket has it now (flagged in the branch list). */
export async function defaultBranch(repository: Repository, deps: Pick<PollDeps, 'client'>): Promise<Branch | undefined> {
  const params = { projectKey: repository.project.key, repositorySlug: repository.slug };
  // An unreadable branch is passed over here: the branch listing itself names it (left-out.ts).
  for await (const page of deps.client.pages({ endpoint: 'branches', params, query: { orderBy: 'MODIFICATION' } }, z.unknown(), { limit: PAGE, maxPages: 10 })) {
    const found = page.map((raw) => Branch.safeParse(raw)).find((parsed) => parsed.success && isDefaultBranch(parsed.data));
    if (found?.success) return found.data;
  }
  return undefined;
}

/**
 * Commits a git client made this long before the bridge recorded a tip may still be new to the branch:
 * their times come from the client's clock, in whole seconds.
 */
const CLOCK_SLACK_MS = 3_600_000;

/**
 * What a rewritten branch brought, once the tip delivered last (recorded at `recordedAt`) is gone: for a
 * branch, what it adds to the default branch, as a new branch is read; for the default branch itself,
 * its history back to that tip's time (the old history is not sent again), capped as any read.
 */
export function orphanedRange(repository: Repository, deps: Pick<PollDeps, 'client'>, branch: string, recordedAt: number): () => Promise<{ exclude?: string; notBefore?: number }> {
  return async () => {
    const base = await defaultBranch(repository, deps);
    return base && base.displayId !== branch ? { exclude: base.latestCommit } : { notBefore: recordedAt - CLOCK_SLACK_MS };
  };
}

/**
 * What Data Center's repo:refs_changed names as the ref's hash: for an annotated tag the tag object
 * (the Jenkins plugin's annotated_tag_created.json), not the commit it points at.
 */
function refTip(type: RefType, ref: Branch): string {
  return (type === 'TAG' ? ref.hash : undefined) ?? ref.latestCommit;
}

function isDefaultBranch(branch: Branch): boolean {
  return branch.isDefault === true || (branch as { default?: boolean }).default === true;
}

/** `seenAt`: the time given to a move that brought no commit to date it by (a tag, a branch made at a commit the repository had). */
function move(source: DcSource, type: RefType, ref: Branch, from: string | null, commits: Pick<RefMove, 'commits' | 'commitsTruncated' | 'files'> | { commits: RefMove['commits']; truncated: boolean; files: RefMove['files']; forced?: boolean }, seenAt: number): RefMove {
  const truncated = 'truncated' in commits ? commits.truncated : commits.commitsTruncated;
  const tip = commits.commits[0];
  // The pusher is not in the REST API (ref-change activity needs REPO_ADMIN); the tip's author, when
  // Bitbucket knows them as a user, is the best stand-in.
  const author = tip?.author as { id?: unknown } | undefined;
  return {
    source,
    ref: { id: ref.id, displayId: ref.displayId, type },
    from,
    to: refTip(type, ref),
    commits: commits.commits,
    commitsTruncated: truncated,
    files: commits.files,
    actor: author && typeof author.id === 'number' ? (author as RefMove['actor']) : (tip?.author ?? null),
    at: isoTime(tip?.committerTimestamp ?? seenAt),
    ...('forced' in commits && commits.forced ? { forced: true } : {}),
  };
}
