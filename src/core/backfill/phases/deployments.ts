import { DeploymentPage, EnvironmentPage } from '../../enrich/cloud/schema';
import { deploymentHistory, type EnvironmentInfo } from '../../history/deployment-events';
import { kvKey } from '../../keys';
import { repoParams, stage, type PhaseRunner } from './context';

// Pipelines deployments in the window, with their environments named (the deployments feed gives
// only each environment's UUID; one request for the environments list fills in name and type).
export const deploymentsPhase: PhaseRunner = async (pc, record) => {
  const cursor = record.cursor?.phase === 'deployments' ? record.cursor : undefined;
  const environments = await environmentsOf(pc);
  const page = await pc.get(cursor?.next ? { next: cursor.next } : { endpoint: 'deployments', params: repoParams(pc), query: { pagelen: 100 } }, DeploymentPage);
  const repository = await pc.lookups.repository(pc.workspace, pc.repository);
  for (const deployment of page.values) {
    const updated = (deployment.last_update_time as string | undefined) ?? (deployment.state as { completed_on?: string; started_on?: string } | undefined)?.completed_on;
    if (updated && Date.parse(updated) < pc.since) continue;
    const environment = environments.get(deployment.environment?.uuid ?? '') ?? {};
    await stage(pc, deploymentHistory({ workspace: pc.workspace, repository, deployment, environment, origin: 'backfill' }));
  }
  return { record, ...(page.next ? { next: page.next } : {}) };
};

/** Read once per backfill and kept with the job's data: later pieces need no request for it. */
async function environmentsOf(pc: Parameters<PhaseRunner>[0]): Promise<Map<string, EnvironmentInfo>> {
  const key = kvKey('bfdata', pc.repository, 'environments');
  const stored = await pc.ctx.store.get<Array<[string, EnvironmentInfo]>>(key);
  if (stored) return new Map(stored);
  const page = await pc.get({ endpoint: 'environments', params: repoParams(pc), query: { pagelen: 100 } }, EnvironmentPage);
  const list = page.values.map((e): [string, EnvironmentInfo] => [e.uuid, { ...(e.name ? { name: e.name } : {}), ...(e.environment_type ? { type: e.environment_type.name } : {}) }]);
  await pc.ctx.store.set(key, list, { ttlSeconds: 3 * 24 * 3600 });
  return new Map(list);
}
