import { repositoryEnvironments } from '../../enrich/cloud/environments';
import { DeploymentPage } from '../../enrich/cloud/schema';
import { deploymentHistory } from '../../history/deployment-events';
import { repoParams, stage, type PhaseRunner } from './context';

// Pipelines deployments in the window, with their environments named (the deployments feed gives
// only each environment's UUID; the environments list, read once a day, fills in name and type). The
// deployments come first: a repository with none in the window needs no environments list.
export const deploymentsPhase: PhaseRunner = async (pc, record) => {
  const cursor = record.cursor?.phase === 'deployments' ? record.cursor : undefined;
  const page = await pc.get(cursor?.next ? { next: cursor.next } : { endpoint: 'deployments', params: repoParams(pc), query: { pagelen: 100 } }, DeploymentPage);
  const inWindow = page.values.filter((deployment) => {
    const updated = (deployment.last_update_time as string | undefined) ?? (deployment.state as { completed_on?: string; started_on?: string } | undefined)?.completed_on;
    return !updated || Date.parse(updated) >= pc.since;
  });
  if (inWindow.length) {
    const environments = await repositoryEnvironments(pc, pc.ctx.store, pc.workspace, pc.repository);
    const repository = await pc.lookups.repository(pc.workspace, pc.repository);
    for (const deployment of inWindow) {
      const environment = environments.get(deployment.environment?.uuid ?? '') ?? {};
      await stage(pc, deploymentHistory({ workspace: pc.workspace, repository, deployment, environment, origin: 'backfill' }));
    }
  }
  return { record, ...(page.next ? { next: page.next } : {}) };
};
