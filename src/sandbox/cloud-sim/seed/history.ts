// Seeds a whole workspace: people, repositories and `historyDays` of activity ending at `baseTime`.
import { Prng } from '../../sim-common/prng';
import { REPOSITORIES } from '../../sim-common/words';
import type { SimModel } from '../model/state';
import type { PullRequestState, Repository } from '../model/types';
import { pushCommits } from '../ops/push';
import { createRepository } from '../ops/repositories';
import { DAY, HOUR, MINUTE, type Micros } from '../util/time';
import { planPipeline } from './pipeline-plan';
import { planPullRequest } from './pull-request-plan';
import { at, Schedule, type RepositoryPlan } from './schedule';
import { seedWorkspace } from './workspace';

export interface SeedOptions {
  seed: string;
  base: Micros;
  repositories: number;
  historyDays: number;
  pullRequestsPerRepository: number;
}

/** Roughly half merged, a fifth declined, the rest open; at least one of each when there are three or more. */
function pullRequestStates(rng: Prng, count: number): PullRequestState[] {
  const states: PullRequestState[] = [];
  for (let i = 0; i < count; i++) states.push(i % 5 === 1 ? 'DECLINED' : i % 5 === 2 || i % 5 === 4 ? 'OPEN' : 'MERGED');
  return rng.shuffle(states);
}

function planRepository(model: SimModel, schedule: Schedule, root: Prng, index: number, options: SeedOptions): void {
  const [baseName, language] = REPOSITORIES[index % REPOSITORIES.length] as readonly [string, string];
  const name = index < REPOSITORIES.length ? baseName : `${baseName}-${Math.floor(index / REPOSITORIES.length) + 1}`;
  const project = model.projects[index % model.projects.length] ?? model.projects[0];
  let repository: Repository | undefined;
  const plan: RepositoryPlan = {
    model, schedule, plan: root.fork(`plan/${index}`), content: root.fork(`content/${index}`),
    end: options.base - 10 * MINUTE,
    repo: () => {
      if (!repository) throw new Error(`repository ${name} used before it was created`);
      return repository;
    },
  };
  const rng = plan.plan;
  const start = options.base - options.historyDays * DAY;
  const createdAt = start - rng.int(20, 300) * DAY - rng.int(0, DAY);
  const admin = model.users[0];
  const mainBranch = rng.chance(0.8) ? 'main' : 'master';
  const website = rng.chance(0.4) ? `https://${name}.example.com` : null;
  if (!admin || !project) throw new Error('the workspace has no users or projects');
  at(plan, createdAt, (ctx) => {
    repository = createRepository(ctx, admin, {
      name, description: `${name.replace(/-/g, ' ')} service`, language, projectKey: project.key, mainBranch, website,
    }).repository;
  });
  let tags = 0;
  const nextTag = (): string => `v1.${tags++}.0`;

  // Direct pushes to the main branch: some before the window (older history), some inside it.
  const early = rng.int(3, 6);
  const direct = Math.max(1, Math.round(options.historyDays / 7));
  for (let k = 0; k < early + direct; k++) {
    const when = k < early ? createdAt + ((k + 1) / (early + 1)) * (start - createdAt) : start + rng.next() * (options.base - start);
    const pusher = rng.pick(model.users);
    let pushed: string | undefined;
    at(plan, when, (ctx) => { pushed = pushCommits(ctx, plan.repo(), pusher, mainBranch, [{ author: pusher }]).commits[0]?.hash; });
    if (k >= early && rng.chance(0.5)) planPipeline(plan, when + MINUTE, pusher, () => pushed as string, nextTag);
  }

  const states = pullRequestStates(rng, options.pullRequestsPerRepository);
  const span = (options.base - start) * 0.9;
  states.forEach((state, i) => planPullRequest(plan, {
    index: i, state, issueKey: project.key, nextTag, notBefore: createdAt + HOUR,
    createdAt: start + ((i + rng.next()) / states.length) * span,
  }));
}

export function seedHistory(options: SeedOptions): SimModel {
  const root = new Prng(options.seed);
  const model = seedWorkspace(root.fork('workspace'), options.base);
  const schedule = new Schedule(model);
  for (let index = 0; index < options.repositories; index++) planRepository(model, schedule, root, index, options);
  schedule.replay();
  return model;
}
