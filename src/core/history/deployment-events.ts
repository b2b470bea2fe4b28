import type { ChangeOf } from '../change/change';
import { intentsFor } from '../change/intents';
import type { Deployment, Repository } from '../enrich/cloud/schema';
import { cloudBody } from '../payload/cloud';
import type { Prebuilt } from './prebuilt';

// A deployment from the deployments feed becomes the pending, started and completed events its live
// triggers send (one delivery each, versioned by the step, so a live one and a replayed one match).

export interface EnvironmentInfo {
  name?: string;
  type?: string;
}

const STEPS: Record<string, Array<'pending' | 'started' | 'completed'>> = {
  UNDEPLOYED: ['pending'],
  PENDING: ['pending'],
  IN_PROGRESS: ['pending', 'started'],
  COMPLETED: ['pending', 'started', 'completed'],
};

/** When a deployment last changed (NaN when its answer gives no time): the feed's windows are read against it. */
export function deploymentUpdatedAt(deployment: Deployment): number {
  const state = deployment.state as { completed_on?: string; started_on?: string } | undefined;
  return Date.parse((deployment.last_update_time as string | undefined) ?? state?.completed_on ?? state?.started_on ?? '');
}

export function deploymentHistory(input: { workspace: string; repository: Repository; deployment: Deployment; environment: EnvironmentInfo; origin: 'backfill' | 'reconcile' }): Prebuilt[] {
  const { deployment, repository } = input;
  const state = deployment.state as { name?: string; started_on?: string; completed_on?: string } | undefined;
  const release = deployment.release as { pipeline?: { uuid?: string }; created_on?: string } | undefined;
  const environmentUuid = deployment.environment?.uuid;
  if (!environmentUuid) return [];
  return (STEPS[state?.name ?? ''] ?? []).flatMap((action) => {
    const at = action === 'completed' ? state?.completed_on : action === 'started' ? state?.started_on : release?.created_on;
    const change: ChangeOf<'deployment'> = {
      edition: 'cloud',
      workspace: input.workspace,
      repository: { uuid: repository.uuid, slug: repository.name },
      origin: input.origin,
      at: at ?? state?.completed_on ?? state?.started_on ?? new Date(0).toISOString(),
      kind: 'deployment',
      action,
      deploymentUuid: deployment.uuid,
      environmentUuid,
      environment: input.environment,
      ...(release?.pipeline?.uuid ? { pipelineUuid: release.pipeline.uuid } : {}),
      ...(state?.name ? { state: state.name } : {}),
    };
    return intentsFor(change).intents.map((intent) => ({ change, intent, body: cloudBody({ family: 'deployment', repository, deployment, change }, intent, change) }));
  });
}
