import { activityPhase } from './activity';
import { commitsPhase } from './commits';
import type { Phase, PhaseRunner } from './context';
import { deploymentsPhase } from './deployments';
import { lifecyclePhase, skipPullRequest } from './lifecycle';
import { pullRequestsPhase } from './pull-requests';
import { refsPhase } from './refs';
import { statusesPhase } from './statuses';

export type { Phase, PhaseContext, PhaseStep } from './context';

/** In order: the graph first, then the pull requests that walk it, then what hangs off refs and pipelines. */
export const phaseOrder: Phase[] = ['commits', 'pullrequests', 'lifecycle', 'activity', 'refs', 'statuses', 'deployments'];

export const phases: Record<Phase, PhaseRunner> = {
  commits: commitsPhase,
  pullrequests: pullRequestsPhase,
  lifecycle: lifecyclePhase,
  activity: activityPhase,
  refs: refsPhase,
  statuses: statusesPhase,
  deployments: deploymentsPhase,
};

/** How a phase steps past a place that keeps failing, where it can do better than end (retries.ts). */
export const skips: Partial<Record<Phase, PhaseRunner>> = {
  lifecycle: skipPullRequest,
};
