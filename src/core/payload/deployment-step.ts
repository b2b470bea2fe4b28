import type { Deployment } from '../enrich/cloud/schema';

// A deployment event names one step (pending, started, completed), but its body is built from the
// deployment as Bitbucket answers when the delivery is built, often after it has completed: a pending
// delivery that says COMPLETED, with a status and a completion time, misleads PanDev's lead-time and
// deployment-duration figures, which read each delivery as the step it names. So an answer that has
// moved past the step is set back to the state Bitbucket gives a deployment at that step (the spec's
// `deployment_state_undeployed` and `deployment_state_in_progress`), keeping only what that state
// carries; every source builds its body here, so a step reads the same whichever source found it.

export type DeploymentStep = 'pending' | 'started' | 'completed';

type State = Record<string, unknown> & { name?: string };

/** What Bitbucket answers for a deployment still at each step (PENDING: how some answers name UNDEPLOYED). */
const ANSWERED_AT: Record<DeploymentStep, readonly string[]> = {
  pending: ['UNDEPLOYED', 'PENDING'],
  started: ['IN_PROGRESS'],
  completed: ['COMPLETED'],
};

/** The keys of an in-progress state (spec `deployment_state_in_progress`, plus the API's `started_on`). */
const IN_PROGRESS_KEYS = ['url', 'deployer', 'start_date', 'started_on'] as const;

export interface DeploymentAtStep {
  deployment: Deployment;
  /** The body paths rewritten from the answer, for `pandev.derived`; empty when it was sent as answered. */
  derived: string[];
}

export function deploymentAtStep(deployment: Deployment, step: DeploymentStep): DeploymentAtStep {
  const state = deployment.state as State | undefined;
  // A completed step is what Bitbucket answers; one with no state to go by is left as it came.
  if (step === 'completed' || !state?.name || ANSWERED_AT[step].includes(state.name)) return { deployment, derived: [] };
  const stepState = step === 'pending' ? { type: 'deployment_state_undeployed', name: 'UNDEPLOYED' } : inProgress(state);
  const { last_update_time: _answeredUpdate, ...rest } = deployment;
  const startedOn = step === 'started' ? (stepState.started_on ?? stepState.start_date) : undefined;
  // The answer's update time is when it reached its current state; the step's own is known only when it started.
  const updated = typeof startedOn === 'string' ? { last_update_time: startedOn } : {};
  const derived = ['deployment.state', ...('last_update_time' in deployment || 'last_update_time' in updated ? ['deployment.last_update_time'] : [])];
  return { deployment: { ...rest, state: stepState, ...updated } as Deployment, derived };
}

function inProgress(state: State): State {
  const kept = Object.fromEntries(IN_PROGRESS_KEYS.filter((key) => state[key] !== undefined).map((key) => [key, state[key]]));
  return { type: 'deployment_state_in_progress', name: 'IN_PROGRESS', ...kept };
}
