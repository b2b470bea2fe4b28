// A Pipelines run on the main branch: build, then deployments to Test, Staging and Production, each of
// which may fail and stop the promotion; a successful production deployment is sometimes tagged.
import type { Deployment, EnvironmentName, Pipeline, PipelineResult, SimUser } from '../model/types';
import { completeDeployment, completePipeline, queueDeployment, startDeployment, startPipeline } from '../ops/pipelines';
import { createTag } from '../ops/refs';
import { MINUTE, SECOND, type Micros } from '../util/time';
import { at, type RepositoryPlan } from './schedule';

const PROMOTION: readonly EnvironmentName[] = ['Test', 'Staging', 'Production'];

export function planPipeline(plan: RepositoryPlan, start: Micros, creator: SimUser, commit: () => string, nextTag: () => string): void {
  let pipeline: Pipeline | undefined;
  const current = (): Pipeline => pipeline as Pipeline;
  const repo = plan.repo;
  at(plan, start, (ctx) => {
    pipeline = startPipeline(ctx, repo(), creator, { commitHash: commit(), refName: repo().mainBranch }).pipeline;
  });
  let t = start + plan.plan.int(2, 6) * MINUTE;
  let result: PipelineResult = plan.plan.chance(0.1) ? 'FAILED' : 'SUCCESSFUL';
  const targets = result === 'FAILED' ? 0 : plan.plan.chance(0.25) ? 1 : plan.plan.chance(0.4) ? 2 : 3;
  for (const environment of PROMOTION.slice(0, targets)) {
    // Production waits for someone to press "Deploy": minutes to hours of lead time.
    const startAt = t + (environment === 'Production' ? plan.plan.int(10, 240) * MINUTE : plan.plan.int(5, 30) * SECOND);
    const doneAt = startAt + plan.plan.int(30, 240) * SECOND;
    const outcome: PipelineResult = plan.plan.chance(0.12) ? 'FAILED' : 'SUCCESSFUL';
    let deployment: Deployment | undefined;
    at(plan, t, (ctx) => { deployment = queueDeployment(ctx, repo(), current(), environment, creator).deployment; });
    at(plan, startAt, (ctx) => startDeployment(ctx, repo(), deployment as Deployment));
    at(plan, doneAt, (ctx) => completeDeployment(ctx, repo(), deployment as Deployment, outcome));
    t = doneAt + 10 * SECOND;
    if (outcome === 'FAILED') {
      result = 'FAILED';
      break;
    }
    if (environment === 'Production' && plan.plan.chance(0.5)) {
      // Named when it happens, so versions grow in time order.
      at(plan, t, (ctx) => {
        const name = nextTag();
        createTag(ctx, repo(), creator, name, current().commitHash, `Release ${name}`);
      });
    }
  }
  const finalResult = result;
  at(plan, t + SECOND, (ctx) => completePipeline(ctx, repo(), current(), finalResult));
}
