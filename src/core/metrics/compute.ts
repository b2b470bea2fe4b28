import type { PullRequestFacts } from './facts';
import { liveFirstCommit } from './first-commit';
import { pullRequestMetrics, type PullRequestMetrics } from './pull-request';
import { repositoryMetrics, type RepositoryMetrics } from './repository';
import { containsCommit, type FactsStore, type KnownCommits } from './store';

/** The trailing window of the repository figures, and how far back commit walks go. */
export const WINDOW_DAYS = 30;

/** A pull request's figures and its repository's, from the stored facts alone (no Bitbucket request). */
export async function figuresFor(facts: FactsStore, stored: PullRequestFacts, now: number, live = false): Promise<{ pr: PullRequestMetrics; repo: RepositoryMetrics }> {
  const windowStart = now - WINDOW_DAYS * 86_400_000;
  const [deployments, known, pullRequests] = await Promise.all([facts.deployments(stored.repository), facts.commits(stored.repository), facts.pullRequests(stored.repository)]);
  const pr = await withFirstCommit(facts, stored, known);
  const contains = containsFor(known, windowStart);
  return {
    pr: pullRequestMetrics(pr, { deployments, contains, now, windowStart, live }),
    repo: repositoryMetrics({ pullRequests, deployments, contains, now, days: WINDOW_DAYS }),
  };
}

/** Commit dates may disagree with ancestry by clock skew or a rebase; a day of slack covers that. */
const SKEW_MS = 86_400_000;

/**
 * Whether a deployed commit includes a merge, from the commits seen. No walk goes back past the window
 * (a merge older than that is in no figure), nor past commits a day older than the merge itself: a
 * deployment that does not include the merge then costs a short walk, not one through the whole month.
 */
export function containsFor(known: KnownCommits, windowStart: number): (deployed: string, merge: string) => boolean | undefined {
  const answers = new Map<string, boolean | undefined>();
  return (deployed, merge) => {
    const pair = `${deployed.slice(0, 12)}:${merge.slice(0, 12)}`;
    if (answers.has(pair)) return answers.get(pair);
    const mergedAt = Date.parse(known.get(merge.slice(0, 12))?.date ?? '');
    const floor = Number.isNaN(mergedAt) ? windowStart : Math.max(windowStart, mergedAt - SKEW_MS);
    const answer = containsCommit(known, deployed, merge, floor);
    answers.set(pair, answer);
    return answer;
  };
}

/**
 * Forge does not order events: the push of a pull request's branch may be recorded after the pull
 * request itself. The branch's first commit is looked up again when the figures are read.
 */
async function withFirstCommit(facts: FactsStore, pr: PullRequestFacts, known: KnownCommits): Promise<PullRequestFacts> {
  if (pr.firstCommitOn || pr.firstCommitUnavailable === 'older-than-window' || !pr.sourceBranch) return pr;
  const found = liveFirstCommit(pr, await facts.branch(pr.repository, pr.sourceBranch), known);
  if (!found) return pr;
  const { firstCommitUnavailable: _, ...rest } = pr;
  return { ...rest, ...found };
}
