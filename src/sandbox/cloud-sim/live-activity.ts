// Random, plausible live activity for demos and soak tests: on every tick one thing happens in one
// repository (a PR opens, someone pushes, reviews, comments, merges, CI reports, a deployment runs).
import { SimConflictError } from '../sim-common/errors';
import type { SimActions } from './actions';
import type { PullRequest, Repository } from './model/types';
import type { SimRuntime } from './runtime';

type Move = (repo: Repository, pr: PullRequest | undefined) => unknown;

interface Candidate {
  weight: number;
  needsOpenPullRequest: boolean;
  move: Move;
}

function candidates(runtime: SimRuntime, actions: SimActions): Candidate[] {
  const rng = runtime.rng;
  const onPr = (move: (args: { repository: string; pullRequestId: number }) => unknown, weight: number): Candidate => ({
    weight, needsOpenPullRequest: true, move: (repo, pr) => move({ repository: repo.uuid, pullRequestId: (pr as PullRequest).id }),
  });
  return [
    { weight: 3, needsOpenPullRequest: false, move: (repo) => actions.openPullRequest({ repository: repo.uuid }) },
    { weight: 2, needsOpenPullRequest: false, move: (repo) => actions.pushCommits({ repository: repo.uuid, commits: rng.int(1, 3) }) },
    onPr((args) => actions.pushToPullRequest(args), 2),
    onPr((args) => actions.approvePullRequest(args), 3),
    onPr((args) => actions.requestChanges(args), 1),
    onPr((args) => actions.addComment(args), 3),
    onPr((args) => actions.mergePullRequest(args), 2),
    onPr((args) => actions.declinePullRequest(args), 0.5),
    {
      weight: 2, needsOpenPullRequest: false,
      move: (repo) => actions.setBuildStatus({
        repository: repo.uuid, commit: repo.mainBranch, key: 'ci-build', state: rng.chance(0.85) ? 'SUCCESSFUL' : 'FAILED',
      }),
    },
    {
      weight: 1, needsOpenPullRequest: false,
      move: (repo) => actions.runDeployment({
        repository: repo.uuid, environment: rng.pick(['Test', 'Test', 'Test', 'Staging', 'Staging', 'Production'] as const),
        outcome: rng.chance(0.85) ? 'SUCCESSFUL' : 'FAILED',
      }),
    },
  ];
}

export function startLiveActivity(runtime: SimRuntime, actions: SimActions, intervalMs: number): () => void {
  const moves = candidates(runtime, actions);
  const tick = (): void => {
    const repos = [...runtime.model.repositories.values()];
    if (repos.length === 0) return;
    const repo = runtime.rng.pick(repos);
    const open = [...repo.pullRequests.values()].filter((pr) => pr.state === 'OPEN');
    const pr = open.length > 0 ? runtime.rng.pick(open) : undefined;
    const possible = moves.filter((candidate) => pr || !candidate.needsOpenPullRequest);
    let roll = runtime.rng.next() * possible.reduce((sum, candidate) => sum + candidate.weight, 0);
    const chosen = possible.find((candidate) => (roll -= candidate.weight) < 0) ?? possible[0];
    try {
      chosen?.move(repo, pr);
    } catch (error) {
      // A move that does not fit the moment (nobody left to approve) is simply skipped.
      if (!(error instanceof SimConflictError)) console.warn('cloud-sim: live activity failed', error);
    }
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
