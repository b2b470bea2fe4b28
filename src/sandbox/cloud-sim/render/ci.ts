// Build statuses, pipelines, deployments and environments. The Pipelines service prints its times with
// a `Z` suffix (`2023-02-20T09:38:17.522007Z`), unlike the rest of the API.
import type { BuildStatus, Deployment, Environment, Pipeline, Repository } from '../model/types';
import { isoApi, isoZulu, SECOND } from '../util/time';
import { account } from './accounts';
import { commitRef } from './commits';
import { encodeUuid, link, repoApi, repoHtml, type JsonObject, type RenderContext } from './context';
import { repositoryRef } from './repositories';

export function buildStatus(ctx: RenderContext, repo: Repository, value: BuildStatus): JsonObject {
  const commitUrl = `${repoApi(ctx, repo)}/commit/${value.commitHash}`;
  return {
    key: value.key,
    type: 'build',
    state: value.state,
    name: value.name,
    refname: value.refname,
    commit: commitRef(ctx, repo, value.commitHash),
    url: value.url,
    repository: repositoryRef(ctx, repo),
    description: value.description,
    created_on: isoApi(value.createdOn),
    updated_on: isoApi(value.updatedOn),
    links: { self: link(`${commitUrl}/statuses/build/${encodeURIComponent(value.key)}`), commit: link(commitUrl) },
  };
}

function pipelineState(value: Pipeline): JsonObject {
  if (!value.result) {
    return { type: 'pipeline_state_in_progress', name: 'IN_PROGRESS', stage: { type: 'pipeline_state_in_progress_running', name: 'RUNNING' } };
  }
  return {
    type: 'pipeline_state_completed', name: 'COMPLETED',
    result: { type: `pipeline_state_completed_${value.result.toLowerCase()}`, name: value.result },
  };
}

export function pipeline(ctx: RenderContext, repo: Repository, value: Pipeline): JsonObject {
  const self = `${repoApi(ctx, repo)}/pipelines/${encodeUuid(value.uuid)}`;
  const seconds = value.completedOn ? Math.round((value.completedOn - value.createdOn) / SECOND) : 0;
  return {
    type: 'pipeline',
    uuid: value.uuid,
    build_number: value.buildNumber,
    creator: account(ctx, ctx.model.userByUuid(value.creatorUuid)),
    repository: repositoryRef(ctx, repo),
    target: {
      type: 'pipeline_ref_target', ref_type: 'branch', ref_name: value.refName,
      selector: { type: 'branches', pattern: value.refName },
      commit: commitRef(ctx, repo, value.commitHash),
    },
    trigger: { type: 'pipeline_trigger_push', name: 'PUSH' },
    state: pipelineState(value),
    created_on: isoZulu(value.createdOn),
    ...(value.completedOn ? { completed_on: isoZulu(value.completedOn) } : {}),
    run_number: 1,
    duration_in_seconds: seconds,
    build_seconds_used: seconds,
    first_successful: false,
    expired: false,
    has_variables: false,
    links: { self: link(self), steps: link(`${self}/steps/`) },
  };
}

export function environment(value: Environment): JsonObject {
  return {
    type: 'deployment_environment',
    uuid: value.uuid,
    name: value.name,
    slug: value.name.toLowerCase(),
    rank: value.rank,
    environment_type: { type: 'deployment_environment_type', name: value.name, rank: value.rank },
    hidden: false,
    environment_lock_enabled: true,
    lock: { type: 'deployment_environment_lock_open', name: 'OPEN' },
    restrictions: { type: 'deployment_restrictions_configuration', admin_only: false },
  };
}

function deploymentState(ctx: RenderContext, repo: Repository, value: Deployment, pipelineValue: Pipeline): JsonObject {
  const url = `${repoHtml(ctx, repo)}/addon/pipelines/home#!/results/${pipelineValue.buildNumber}/steps/${encodeUuid(value.stepUuid)}`;
  const deployer = account(ctx, ctx.model.userByUuid(value.deployerUuid));
  if (value.state === 'PENDING') return { type: 'deployment_state_undeployed', name: 'UNDEPLOYED', trigger_url: url };
  const started = isoZulu(value.startedOn ?? value.createdOn);
  if (value.state === 'IN_PROGRESS') {
    return { type: 'deployment_state_in_progress', name: 'IN_PROGRESS', url, deployer, start_date: started, started_on: started };
  }
  const completed = isoZulu(value.completedOn ?? value.updatedOn);
  const status = value.status ?? 'SUCCESSFUL';
  return {
    type: 'deployment_state_completed', name: 'COMPLETED', url, deployer,
    status: { type: `deployment_state_completed_status_${status.toLowerCase()}`, name: status },
    start_date: started, started_on: started, completion_date: completed, completed_on: completed,
  };
}

/**
 * What a deployment leaves out of its environment unless `fields=` asks for it: the spec gives
 * `deployment_environment` the default fields `uuid` (with a batch URL to expand it), and a capture
 * of bitbucket.org shows `fields=…values.environment.name` answered with the name filled in.
 */
export function deploymentHiddenFields(prefix: '' | 'values.'): string[] {
  return ['name', 'slug', 'rank', 'environment_type', 'hidden', 'environment_lock_enabled', 'lock', 'restrictions'].map((key) => `${prefix}environment.${key}`);
}

export function deployment(ctx: RenderContext, repo: Repository, value: Deployment): JsonObject {
  const pipelineValue = repo.pipelines.find((candidate) => candidate.uuid === value.pipelineUuid) as Pipeline;
  const env = repo.environments.find((candidate) => candidate.uuid === value.environmentUuid) as Environment;
  return {
    type: 'deployment',
    uuid: value.uuid,
    state: deploymentState(ctx, repo, value, pipelineValue),
    environment: environment(env),
    step: { type: 'pipeline_step', uuid: value.stepUuid },
    release: {
      type: 'deployment_release',
      uuid: pipelineValue.uuid,
      name: `#${pipelineValue.buildNumber}`,
      key: `pipelines-${pipelineValue.uuid}`,
      url: `${repoHtml(ctx, repo)}/addon/pipelines/home#!/results/${pipelineValue.buildNumber}`,
      commit: commitRef(ctx, repo, value.commitHash),
      created_on: isoZulu(pipelineValue.createdOn),
      pipeline: { type: 'pipeline', uuid: pipelineValue.uuid },
    },
    last_update_time: isoZulu(value.updatedOn),
  };
}
