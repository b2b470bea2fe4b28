// Random, plausible live activity for demos and soak tests: on every tick one thing happens in one
// repository (a pull request opens, someone pushes, reviews, comments, merges, declines, CI reports).
import { SimConflictError, SimNotFoundError } from '../sim-common/errors';
import type { DcActions } from './actions';
import type { DcRepository } from './model/repository';
import type { DcRuntime } from './runtime';

type Move = (repo: DcRepository, pullRequestId: number | undefined) => unknown;

const ref = (repo: DcRepository): string => `${repo.projectKey}/${repo.slug}`;

function moves(runtime: DcRuntime, actions: DcActions): { weight: number; needsOpen: boolean; move: Move }[] {
  const rng = runtime.rng;
  const onPr = (weight: number, move: (args: { repository: string; pullRequestId: number }) => unknown) => ({
    weight, needsOpen: true, move: (repo: DcRepository, pullRequestId: number | undefined) => move({ repository: ref(repo), pullRequestId: pullRequestId as number }),
  });
  return [
    { weight: 3, needsOpen: false, move: (repo) => actions.openPullRequest({ repository: ref(repo) }) },
    { weight: 2, needsOpen: false, move: (repo) => actions.pushCommits({ repository: ref(repo), commits: rng.int(1, 3) }) },
    onPr(2, (args) => actions.pushToPullRequest(args)),
    onPr(3, (args) => actions.approvePullRequest(args)),
    onPr(1, (args) => actions.needsWork(args)),
    onPr(3, (args) => actions.addComment(args)),
    onPr(2, (args) => actions.mergePullRequest(args)),
    onPr(0.5, (args) => actions.declinePullRequest(args)),
    {
      weight: 2, needsOpen: false,
      move: (repo) => actions.setBuildStatus({ repository: ref(repo), commit: repo.defaultBranch, key: 'CI-BUILD', state: rng.chance(0.85) ? 'SUCCESSFUL' : 'FAILED' }),
    },
  ];
}

/** A recently updated open pull request of the repository (the newest seeded ones, plus live ones). */
function openPullRequest(runtime: DcRuntime, repo: DcRepository): number | undefined {
  const open: number[] = [];
  for (const summary of repo.summaries()) if (summary.state === 'OPEN' && summary.updatedAt > runtime.clock.now() - 7 * 86_400_000) open.push(summary.id);
  return open.length > 0 ? runtime.rng.pick(open) : undefined;
}

export function startLiveActivity(runtime: DcRuntime, actions: DcActions, intervalMs: number): () => void {
  const candidates = moves(runtime, actions);
  const tick = (): void => {
    const repos = runtime.model.repositories.filter((repo) => repo.originId === undefined);
    if (repos.length === 0) return;
    const repo = runtime.rng.pick(repos);
    const pullRequestId = openPullRequest(runtime, repo);
    const possible = candidates.filter((candidate) => pullRequestId !== undefined || !candidate.needsOpen);
    let roll = runtime.rng.next() * possible.reduce((sum, candidate) => sum + candidate.weight, 0);
    const chosen = possible.find((candidate) => (roll -= candidate.weight) < 0) ?? possible[0];
    try {
      chosen?.move(repo, pullRequestId);
    } catch (error) {
      // A move that does not fit the moment (nobody left to approve) is simply skipped.
      if (!(error instanceof SimConflictError || error instanceof SimNotFoundError)) console.warn('dc-sim: live activity failed', error);
    }
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
