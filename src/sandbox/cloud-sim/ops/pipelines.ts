// Bitbucket Pipelines: a pipeline reports a build status on its commit and runs deployment steps.
// Each step is its own operation so the seeder can space them out in time; live actions run them at once.
import type { DeploymentEvent } from '../events/types';
import type { Deployment, Environment, EnvironmentName, Pipeline, PipelineResult, Repository, SimUser } from '../model/types';
import { isoNanos, isoZulu, type Micros } from '../util/time';
import type { Emitted, OpContext } from './context';
import { setBuildStatus } from './builds';
import { SimNotFoundError } from '../../sim-common/errors';

const ENVIRONMENTS: readonly EnvironmentName[] = ['Test', 'Staging', 'Production'];

export function createEnvironments(ctx: OpContext): Environment[] {
  return ENVIRONMENTS.map((name, rank) => ({ uuid: ctx.rng.uuid(), name, rank }));
}

function findEnvironment(repo: Repository, name: EnvironmentName): Environment {
  const environment = repo.environments.find((candidate) => candidate.name === name);
  if (!environment) throw new SimNotFoundError(`environment ${name} not found in ${repo.slug}`);
  return environment;
}

const pipelineStatusKey = (pipeline: Pipeline): string => pipeline.uuid.slice(1, -1);

function pipelineStatus(ctx: OpContext, repo: Repository, pipeline: Pipeline, creator: SimUser, reportedOn?: Micros): Emitted {
  return setBuildStatus(ctx, repo, creator, {
    ...(reportedOn !== undefined ? { reportedOn } : {}),
    commitHash: pipeline.commitHash,
    key: pipelineStatusKey(pipeline),
    state: pipeline.result ?? 'INPROGRESS',
    name: `Pipeline #${pipeline.buildNumber} for ${pipeline.refName}`,
    url: `https://bitbucket.org/${ctx.model.workspace.slug}/${repo.slug}/addon/pipelines/home#!/results/${pipeline.buildNumber}`,
    refname: pipeline.refName,
  });
}

/** `reportedOn`: when its build status was first reported, for a run that began before it is simulated. */
export function startPipeline(
  ctx: OpContext, repo: Repository, creator: SimUser, target: { commitHash: string; refName: string }, reportedOn?: Micros,
): Emitted & { pipeline: Pipeline } {
  if (!repo.commits.has(target.commitHash)) throw new SimNotFoundError(`commit ${target.commitHash} not found in ${repo.slug}`);
  const pipeline: Pipeline = {
    uuid: ctx.rng.uuid(),
    buildNumber: repo.pipelines.length + 1,
    creatorUuid: creator.uuid,
    refName: target.refName,
    commitHash: target.commitHash,
    createdOn: ctx.model.stamp(ctx.at),
    completedOn: null,
    result: null,
  };
  repo.pipelines.push(pipeline);
  return { pipeline, events: pipelineStatus(ctx, repo, pipeline, creator, reportedOn).events };
}

export function completePipeline(ctx: OpContext, repo: Repository, pipeline: Pipeline, result: PipelineResult): Emitted {
  pipeline.completedOn = ctx.model.stamp(ctx.at);
  pipeline.result = result;
  return pipelineStatus(ctx, repo, pipeline, ctx.model.userByUuid(pipeline.creatorUuid));
}

function deploymentEvent(ctx: OpContext, repo: Repository, deployment: Deployment, eventType: DeploymentEvent['eventType']): DeploymentEvent {
  const environment = repo.environments.find((candidate) => candidate.uuid === deployment.environmentUuid) as Environment;
  // Forge reports a deployment that waits for its trigger as UNKNOWN (events reference example).
  const state = deployment.state === 'PENDING' ? 'UNKNOWN' : deployment.state;
  return {
    eventType,
    timestamp: isoZulu(deployment.updatedOn),
    selfGenerated: false,
    repository: { uuid: repo.uuid, slug: repo.slug },
    workspace: { uuid: ctx.model.workspace.uuid },
    pipeline: { uuid: deployment.pipelineUuid },
    deployment: {
      uuid: deployment.uuid, state, ...(deployment.status ? { status: deployment.status } : {}),
      updatedTimestamp: isoNanos(deployment.updatedOn),
    },
    environment: { uuid: environment.uuid, type: environment.name.toUpperCase(), name: environment.name },
  };
}

export function queueDeployment(
  ctx: OpContext, repo: Repository, pipeline: Pipeline, environment: EnvironmentName, deployer: SimUser,
): Emitted & { deployment: Deployment } {
  const at = ctx.model.stamp(ctx.at);
  const deployment: Deployment = {
    uuid: ctx.rng.uuid(), environmentUuid: findEnvironment(repo, environment).uuid, pipelineUuid: pipeline.uuid,
    stepUuid: ctx.rng.uuid(), commitHash: pipeline.commitHash, deployerUuid: deployer.uuid, state: 'PENDING', status: null,
    createdOn: at, startedOn: null, completedOn: null, updatedOn: at,
  };
  repo.deployments.push(deployment);
  return { deployment, events: [deploymentEvent(ctx, repo, deployment, 'avi:bitbucket:pending:deployment')] };
}

export function startDeployment(ctx: OpContext, repo: Repository, deployment: Deployment): Emitted {
  deployment.state = 'IN_PROGRESS';
  deployment.startedOn = deployment.updatedOn = ctx.model.stamp(ctx.at);
  return { events: [deploymentEvent(ctx, repo, deployment, 'avi:bitbucket:started:deployment')] };
}

export function completeDeployment(ctx: OpContext, repo: Repository, deployment: Deployment, outcome: PipelineResult): Emitted {
  deployment.state = 'COMPLETED';
  deployment.status = outcome;
  deployment.completedOn = deployment.updatedOn = ctx.model.stamp(ctx.at);
  return { events: [deploymentEvent(ctx, repo, deployment, 'avi:bitbucket:completed:deployment')] };
}
