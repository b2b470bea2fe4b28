import type { CommitGraph } from '../history/graph';
import type { DeploymentFacts, PullRequestFacts } from './facts';
import { commitGraph, liveFirstCommit, measurable, measured, mergedPullRequests, type MergedPullRequests } from './first-commit';
import { pullRequestMetrics, type PullRequestMetrics } from './pull-request';
import { repositoryMetrics, type RepositoryMetrics } from './repository';
import { ancestors, containsCommit } from './ancestry';
import type { FactsStore, KnownCommits } from './store';

/** The trailing window of the repository figures, and how far back commit walks go. */
export const WINDOW_DAYS = 30;

/**
 * Everything a repository's figures read, loaded once (three scans of the store) and worked out once:
 * a production deployment revisits every comment waiting for it, and they all share this.
 */
export interface RepositorySnapshot {
  now: number;
  windowStart: number;
  deployments: DeploymentFacts[];
  known: KnownCommits;
  /** The commits seen as a graph, built when first asked for. */
  graph: () => CommitGraph;
  /** The merged pull requests, as the first-commit walk takes them. */
  merged: MergedPullRequests;
  /** The stored pull requests by id. */
  pullRequests: Map<number, PullRequestFacts>;
  contains: (deployed: string, merge: string) => boolean | undefined;
  repo: RepositoryMetrics;
}

export async function repositorySnapshot(facts: FactsStore, repository: string, now: number): Promise<RepositorySnapshot> {
  const windowStart = now - WINDOW_DAYS * 86_400_000;
  const [deployments, known, stored] = await Promise.all([facts.deployments(repository), facts.commits(repository), facts.pullRequests(repository)]);
  const contains = containsFor(known, windowStart);
  let built: CommitGraph | undefined;
  const graph = () => (built ??= commitGraph(known));
  const merged = mergedPullRequests(stored);
  // The median lead time counts merged pull requests with their first commits measured, as their comments do.
  const pullRequests = stored.map((pr) => (pr.state === 'MERGED' && measurable(pr) && Date.parse(pr.mergedOn ?? '') >= windowStart ? measured(pr, graph(), merged) : pr));
  const repo = repositoryMetrics({ pullRequests, deployments, contains, now, days: WINDOW_DAYS });
  return { now, windowStart, deployments, known, graph, merged, pullRequests: new Map(stored.map((pr) => [pr.id, pr])), contains, repo };
}

/** A pull request's figures and its repository's, from the stored facts alone (no Bitbucket request). */
export async function figuresFor(facts: FactsStore, stored: PullRequestFacts, now: number, live = false, snapshot?: RepositorySnapshot): Promise<{ pr: PullRequestMetrics; repo: RepositoryMetrics }> {
  const s = snapshot ?? (await repositorySnapshot(facts, stored.repository, now));
  const pr = measured(await withFirstCommit(facts, stored), s.graph(), s.merged);
  return { pr: pullRequestMetrics(pr, { deployments: s.deployments, contains: s.contains, now: s.now, windowStart: s.windowStart, live }), repo: s.repo };
}

/** Commit dates may disagree with ancestry by clock skew; a day of slack keeps the quick walk right most of the time. */
const SKEW_MS = 86_400_000;

/**
 * Whether a deployed commit includes a merge, from the commits seen (see ancestry.ts). The quick walk
 * goes back no further than the window, nor than a day before the merge itself; when that cuts it
 * short, the merge's ancestors settle it. The figures ask about one merge after another, so only the
 * last merge's ancestors are kept.
 */
export function containsFor(known: KnownCommits, windowStart: number): (deployed: string, merge: string) => boolean | undefined {
  const answers = new Map<string, boolean | undefined>();
  let last: { merge: string; ancestors: Set<string> | undefined } | undefined;
  const ancestorsOf = (merge: string) => {
    if (last?.merge !== merge) last = { merge, ancestors: ancestors(known, merge) };
    return last.ancestors;
  };
  return (deployed, merge) => {
    const pair = `${deployed.slice(0, 12)}:${merge.slice(0, 12)}`;
    if (answers.has(pair)) return answers.get(pair);
    const mergedAt = Date.parse(known.get(merge.slice(0, 12))?.date ?? '');
    const floor = Number.isNaN(mergedAt) ? windowStart : Math.max(windowStart, mergedAt - SKEW_MS);
    const answer = containsCommit(known, deployed, merge, floor, ancestorsOf);
    answers.set(pair, answer);
    return answer;
  };
}

/**
 * Forge does not order events: the push of a pull request's branch may be recorded after the pull
 * request itself. The branch's first commit is looked up again when the figures are read.
 */
async function withFirstCommit(facts: FactsStore, pr: PullRequestFacts): Promise<PullRequestFacts> {
  if (pr.firstCommitOn || pr.firstCommitUnavailable === 'older-than-window' || !pr.sourceBranch || pr.fromFork) return pr;
  const found = liveFirstCommit(pr, await facts.branch(pr.repository, pr.sourceBranch));
  if (!found) return pr;
  const { firstCommitUnavailable: _, ...rest } = pr;
  return { ...rest, ...found };
}
