import { z } from 'zod';
import { Page, Ref, type Commit } from '../../enrich/cloud/schema';
import { checkedItems, named } from '../../enrich/checked-items';
import { withUnreadable } from '../retries';
import type { CommitGraph } from '../../history/graph';
import { refMovePush } from '../../history/push-events';
import { refStateStore } from '../../pipeline/ref-state';
import { diffstatSize, QUERY } from '../../enrich/cloud/pull-request-size';
import { jobStore, type CommitStats } from '../store';
import { graphOf, repoParams, stage, type PhaseContext, type PhaseRunner } from './context';

// Branches and tags: each ref's commits in the window become one push from the window's edge (or the
// tip already delivered) to the ref's tip, built from the stored graph. The tip is recorded, so a
// second backfill or the reconciliation sends only what comes after it.

/** Commits listed in one rebuilt push; beyond it the push says it is truncated. */
const MAX_PUSH_COMMITS = 1000;

export const refsPhase: PhaseRunner = async (pc, record) => {
  const cursor = record.cursor?.phase === 'refs' ? record.cursor : undefined;
  // Branches and tags in one listing; `next` follows its pages.
  const page = await pc.get(cursor?.next ? { next: cursor.next } : { endpoint: 'refs', params: repoParams(pc), query: { pagelen: 100 } }, Page(z.unknown()));
  const { items: refs, malformed } = checkedItems(page.values, Ref, named.ref);
  let current = withUnreadable(record, 'refs', malformed, (raw) => `${named.ref(raw)} (its push was not sent)`);
  const graph = await graphOf(pc);
  for (const ref of refs) {
    const moved = (await olderPart(pc, graph, ref, record.widenedFrom)) ?? (await refMove(pc, graph, ref, record.requestedAt));
    // Out of requests or time for commit stats: the same page again next piece (refs already staged
    // are skipped by their recorded tips, stats already read are kept).
    if (moved === 'later') return { record: current, next: cursor?.next ?? '' };
    if (moved === 'beyond-graph') current = { ...current, refsIncomplete: true };
  }
  return page.next ? { record: current, next: page.next } : { record: current };
};

/**
 * `beyond-graph`: the branch moved past the commits read for the graph (pushed while the backfill ran,
 * its event lost), so its push cannot be built here. Nothing is recorded for it and the record says the
 * refs were not all listed: the reconciliation reads its commits from Bitbucket (from its recorded tip,
 * or as a branch the app has no tip for) and sends them.
 */
async function refMove(pc: PhaseContext, graph: CommitGraph, ref: Ref, requestedAt: number): Promise<void | 'later' | 'beyond-graph'> {
  const type = ref.type === 'tag' ? 'tag' : 'branch';
  const tip = ref.target?.hash;
  if (!tip) return;
  const refs = refStateStore(pc.ctx.store);
  // A baseline was only noticed (nothing delivered): what moved in the window is still to send.
  const stored = await refs.get(pc.repository, type, ref.name);
  const known = stored?.origin === 'baseline' ? undefined : stored;
  // Pushes since this backfill was asked for delivered the branch from where their run began, and so
  // did a reconciliation that found the branch before any backfill listed the refs, whenever that was
  // (`behind`); what moved on it before that, in the window, is still the backfill's to send.
  const deliveredFrom = ((known?.origin === 'trigger' || known?.origin === 'reconcile') && known.at >= requestedAt) || known?.behind === true;
  if (type === 'branch' && deliveredFrom && known?.from) {
    const start = graph.get(known.from);
    const edge = edgeOfWindow(graph, known.from, pc.since);
    // Staged again by a resumed piece, it is the same delivery (same id), so nothing is sent twice.
    if (start && start.hash !== edge?.hash && (await moveTo(pc, ref, start, edge, between(graph, start.hash, edge?.hash))) === 'later') return 'later';
    // Filled in: a backfill asked for later (a longer window) must not send it again.
    if (known.behind) await settleBehind(pc, type, ref.name, known.from);
  }
  if (known?.tip === tip) return;
  const tipCommit = graph.get(tip) ?? ref.target;
  const inWindow = Date.parse(tipCommit?.date ?? '') >= pc.since;
  if (!inWindow && !known) {
    // Nothing happened on it in the window: remember where it stands, for the reconciliation, as a
    // baseline (nothing was delivered for it).
    await refs.set(pc.repository, type, ref.name, { tip, at: pc.ctx.clock.now(), origin: 'baseline' });
    return;
  }
  if (type === 'branch' && !graph.get(tip)) return 'beyond-graph';
  const before = known?.tip ? (graph.get(known.tip) ?? null) : type === 'branch' ? edgeOfWindow(graph, tip, pc.since) : null;
  const commits = type === 'branch' ? between(graph, tip, before?.hash) : [];
  return moveTo(pc, ref, tipCommit, before, commits);
}

/**
 * A widened window: the branch's commits between the new window's edge and the one before, sent as the
 * push that took the branch from one edge to the other. The rest goes as for any backfill (refMove).
 * Staged again by a resumed piece, or by a second widening to the same window, it is the same delivery.
 */
async function olderPart(pc: PhaseContext, graph: CommitGraph, ref: Ref, widenedFrom: string | undefined): Promise<'later' | undefined> {
  const tip = ref.target?.hash;
  // A run asked for long after the one before can reach less far back though its window is wider.
  if (ref.type === 'tag' || !tip || widenedFrom === undefined || Date.parse(widenedFrom) <= pc.since || !graph.get(tip)) return undefined;
  // A branch with no tip delivered (or only a baseline) is sent whole from the new edge by refMove.
  const stored = await refStateStore(pc.ctx.store).get(pc.repository, 'branch', ref.name);
  if (!stored || stored.origin === 'baseline') return undefined;
  const oldEdge = edgeOfWindow(graph, tip, Date.parse(widenedFrom));
  const newEdge = edgeOfWindow(graph, tip, pc.since);
  const commits = oldEdge ? between(graph, oldEdge.hash, newEdge?.hash) : [];
  if (!oldEdge || !commits.length) return undefined;
  return (await moveTo(pc, ref, oldEdge, newEdge, commits, { history: true })) === 'later' ? 'later' : undefined;
}

/** What lay behind the run that began at `from` is sent: kept only while that run is still recorded. */
async function settleBehind(pc: PhaseContext, type: 'branch' | 'tag', name: string, from: string): Promise<void> {
  const refs = refStateStore(pc.ctx.store);
  const current = await refs.get(pc.repository, type, name);
  if (!current?.behind || current.from !== from) return;
  const { behind: _settled, ...rest } = current;
  await refs.set(pc.repository, type, name, rest);
}

/** Stages one rebuilt push of `ref` from `before` to `target` (with the file stats the option asks for). */
async function moveTo(pc: PhaseContext, ref: Ref, target: Commit | undefined, before: Commit | null, commits: Commit[], kind: { history?: true } = {}): Promise<void | 'later'> {
  const stats = pc.preferences.commitStats === 'commit' ? await commitStats(pc, commits.slice(0, MAX_PUSH_COMMITS)) : undefined;
  if (stats === 'later') return 'later';
  await stage(pc, refMovePush({
    workspace: pc.workspace,
    repository: await pc.lookups.repository(pc.workspace, pc.repository),
    ref: { ...ref, ...(target ? { target } : {}) },
    before,
    commits: commits.slice(0, MAX_PUSH_COMMITS),
    commitsTruncated: commits.length > MAX_PUSH_COMMITS,
    origin: 'backfill',
    ...(stats ? { stats } : {}),
    ...kind,
  }));
}

/** Every commit's file stats (the "every commit" option): one diffstat request per commit. */
async function commitStats(pc: PhaseContext, commits: Commit[]): Promise<Map<string, CommitStats> | 'later'> {
  const store = jobStore(pc.ctx.store, pc.repository);
  const stats = new Map<string, CommitStats>();
  for (const commit of commits) {
    let found = await store.commitStats(commit.hash);
    if (!found) {
      if (pc.exhausted()) return 'later';
      // A commit's diffstat is against its first parent; a gone diff counts as empty.
      found = (await diffstatSize(pc.get, { endpoint: 'diffstat', params: { ...repoParams(pc), spec: commit.hash }, query: QUERY })) ?? { files: 0, lines_added: 0, lines_removed: 0 };
      await store.putCommitStats(commit.hash, { files: found.files, lines_added: found.lines_added, lines_removed: found.lines_removed });
    }
    stats.set(commit.hash, found);
  }
  return stats;
}

/** The newest commit on the branch from before the window: where the rebuilt push starts. */
function edgeOfWindow(graph: CommitGraph, tip: string, since: number): Commit | null {
  const { hashes } = graph.reachable(tip);
  let edge: Commit | null = null;
  for (const hash of hashes) {
    const commit = graph.get(hash)!;
    const date = Date.parse(commit.date ?? '');
    if (date < since && (!edge || date > Date.parse(edge.date ?? ''))) edge = commit;
  }
  return edge;
}

/** Commits reachable from `tip` and not from `base`, newest first, as a push lists them. */
export function between(graph: CommitGraph, tip: string, base: string | undefined): Commit[] {
  const excluded = base ? graph.reachable(base).hashes : new Set<string>();
  return [...graph.reachable(tip).hashes]
    .filter((hash) => !excluded.has(hash))
    .map((hash) => graph.get(hash)!)
    .sort((a, b) => Date.parse(b.date ?? '') - Date.parse(a.date ?? ''));
}
