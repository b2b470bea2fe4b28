// Repository-level actions: pushes, refs, build statuses, deployments and the repository lifecycle.
import type { ForgeEvent } from '../events/types';
import { setBuildStatus } from '../ops/builds';
import { completeDeployment, completePipeline, queueDeployment, startDeployment, startPipeline } from '../ops/pipelines';
import { forcePush, pushCommits } from '../ops/push';
import { createBranch, createTag, deleteBranch, deleteTag } from '../ops/refs';
import { createRepository, deleteRepository, updateRepository, type RepositoryChanges } from '../ops/repositories';
import type { ActionResult } from './pull-requests';
import type { ActionArgs } from './schemas';
import type { ActionScope } from './scope';
import { fromMillis, SECOND } from '../util/time';

export function pushCommitsAction(scope: ActionScope, args: ActionArgs<'pushCommits'>): ActionResult<{ commits: string[] }> {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, () => scope.randomUser());
  const messages: (string | undefined)[] = args.messages ?? Array.from({ length: args.commits ?? 1 }, () => undefined);
  return scope.runtime.run((ctx) => {
    const authored = args.authoredAt === undefined ? undefined : fromMillis(Date.parse(args.authoredAt));
    const specs = messages.map((message, i) => ({ author: actor, ...(message ? { message } : {}), ...(authored === undefined ? {} : { authoredAt: authored + i * SECOND }) }));
    const pushed = pushCommits(ctx, repo, actor, args.branch ?? repo.mainBranch, specs);
    return { commits: pushed.commits.map((commit) => commit.hash), events: pushed.events };
  });
}

export function forcePushAction(scope: ActionScope, args: ActionArgs<'forcePush'>): ActionResult<{ commits: string[]; removed: string[] }> {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, () => scope.randomUser());
  const onto = scope.commit(repo, args.onto);
  return scope.runtime.run((ctx) => {
    const pushed = forcePush(ctx, repo, actor, args.branch, onto, Array.from({ length: args.commits ?? 1 }, () => ({ author: actor })));
    return { commits: pushed.commits.map((commit) => commit.hash), removed: pushed.removed, events: pushed.events };
  });
}

export function createBranchAction(scope: ActionScope, args: ActionArgs<'createBranch'>): ActionResult {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, () => scope.randomUser());
  const target = scope.commit(repo, args.from);
  return scope.runtime.run((ctx) => createBranch(ctx, repo, actor, args.name, target));
}

export function deleteBranchAction(scope: ActionScope, args: ActionArgs<'deleteBranch'>): ActionResult {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, () => scope.randomUser());
  return scope.runtime.run((ctx) => deleteBranch(ctx, repo, actor, args.name));
}

export function createTagAction(scope: ActionScope, args: ActionArgs<'createTag'>): ActionResult {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, () => scope.randomUser());
  const target = scope.commit(repo, args.target);
  return scope.runtime.run((ctx) => createTag(ctx, repo, actor, args.name, target, args.message));
}

export function deleteTagAction(scope: ActionScope, args: ActionArgs<'deleteTag'>): ActionResult {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, () => scope.randomUser());
  return scope.runtime.run((ctx) => deleteTag(ctx, repo, actor, args.name));
}

export function setBuildStatusAction(scope: ActionScope, args: ActionArgs<'setBuildStatus'>): ActionResult<{ key: string; commit: string }> {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, scope.owner);
  const commitHash = scope.commit(repo, args.commit);
  return scope.runtime.run((ctx) => {
    const { status, events } = setBuildStatus(ctx, repo, actor, {
      commitHash, key: args.key, state: args.state,
      ...(args.name === undefined ? {} : { name: args.name }),
      ...(args.url === undefined ? {} : { url: args.url }),
      ...(args.description === undefined ? {} : { description: args.description }),
      ...(args.refname === undefined ? {} : { refname: args.refname }),
    });
    return { key: status.key, commit: status.commitHash, events };
  });
}

/** A Pipelines run that deploys one commit to one environment: pending, started, then completed. */
export function runDeploymentAction(
  scope: ActionScope, args: ActionArgs<'runDeployment'>,
): ActionResult<{ pipelineUuid: string; deploymentUuid: string; outcome: 'SUCCESSFUL' | 'FAILED' }> {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, scope.owner);
  const commitHash = scope.commit(repo, args.commit);
  const refName = args.commit && repo.branches.has(args.commit) ? args.commit : repo.mainBranch;
  const outcome = args.outcome ?? 'SUCCESSFUL';
  return scope.runtime.run((ctx) => {
    const events: ForgeEvent[] = [];
    // Run at once, its build status would be created and updated within microseconds, which Bitbucket
    // never shows (an update is a build's end): the run's status was first reported a second before.
    const { pipeline, events: started } = startPipeline(ctx, repo, actor, { commitHash, refName }, ctx.at - SECOND);
    const { deployment, events: queued } = queueDeployment(ctx, repo, pipeline, args.environment, actor);
    events.push(...started, ...queued, ...startDeployment(ctx, repo, deployment).events);
    events.push(...completeDeployment(ctx, repo, deployment, outcome).events, ...completePipeline(ctx, repo, pipeline, outcome).events);
    return { pipelineUuid: pipeline.uuid, deploymentUuid: deployment.uuid, outcome, events };
  });
}

export function createRepositoryAction(scope: ActionScope, args: ActionArgs<'createRepository'>): ActionResult<{ uuid: string; slug: string }> {
  const actor = scope.user(args.actor, scope.owner);
  const projectKey = args.project ?? scope.runtime.model.projects[0]?.key ?? '';
  return scope.runtime.run((ctx) => {
    const { repository, events } = createRepository(ctx, actor, {
      name: args.name, description: args.description ?? '', language: args.language ?? 'TypeScript', projectKey, mainBranch: args.mainBranch ?? 'main',
    });
    return { uuid: repository.uuid, slug: repository.slug, events };
  });
}

export function updateRepositoryAction(scope: ActionScope, args: ActionArgs<'updateRepository'>): ActionResult {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, scope.owner);
  const changes: RepositoryChanges = {};
  for (const key of ['name', 'description', 'language', 'website'] as const) {
    if (args[key] !== undefined) Object.assign(changes, { [key]: args[key] });
  }
  return scope.runtime.run((ctx) => updateRepository(ctx, repo, actor, changes));
}

export function deleteRepositoryAction(scope: ActionScope, args: ActionArgs<'deleteRepository'>): ActionResult {
  const repo = scope.repo(args.repository);
  const actor = scope.user(args.actor, scope.owner);
  return scope.runtime.run((ctx) => deleteRepository(ctx, repo, actor));
}
