import { DEPLOYMENT_FIELDS, environmentNamer } from '../../enrich/cloud/environments';
import { z } from 'zod';
import { Deployment, Page } from '../../enrich/cloud/schema';
import { checkedItems, named } from '../../enrich/checked-items';
import { withSkipOnce, withUnreadable } from '../retries';
import { deploymentHistory, deploymentUpdatedAt } from '../../history/deployment-events';
import { repoParams, stage, type PhaseRunner } from './context';

// Pipelines deployments in the window, each with its environment named in the same answer (`fields=`).
export const deploymentsPhase: PhaseRunner = async (pc, record) => {
  const cursor = record.cursor?.phase === 'deployments' ? record.cursor : undefined;
  const page = await pc.get(cursor?.next ? { next: cursor.next } : { endpoint: 'deployments', params: repoParams(pc), query: { pagelen: 100, fields: DEPLOYMENT_FIELDS } }, Page(z.unknown()));
  const { items: deployments, malformed } = checkedItems(page.values, Deployment, named.deployment);
  let current = withUnreadable(record, 'deployments', malformed, (raw) => `${named.deployment(raw)} (its events were not sent)`);
  // One with no time at all is kept: better delivered than lost.
  const inWindow = deployments.filter((deployment) => {
    const updated = deploymentUpdatedAt(deployment);
    return Number.isNaN(updated) || updated >= pc.since;
  });
  if (inWindow.length) {
    // Its reason says what to do already (environments.ts).
    const environmentOf = await environmentNamer(pc, pc.ctx.store, pc.workspace, pc.repository, inWindow, ({ raw, reason }) => {
      current = withSkipOnce(current, { phase: 'deployments', what: `${named.environment(raw)} (its deployments were sent without its name)`, reason });
    });
    const repository = await pc.lookups.repository(pc.workspace, pc.repository);
    for (const deployment of inWindow) {
      await stage(pc, deploymentHistory({ workspace: pc.workspace, repository, deployment, environment: environmentOf(deployment), origin: 'backfill' }));
    }
  }
  return { record: current, ...(page.next ? { next: page.next } : {}) };
};
