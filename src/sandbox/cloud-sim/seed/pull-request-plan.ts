// One pull request's life: a branch cut from main, commits (each built by CI), the pull request,
// comments and reviews by other people, then a merge (with a Pipelines run), a decline, or nothing yet.
import { COMMENTS, NOUNS, VERBS } from '../../sim-common/words';
import type { PullRequest, PullRequestState, SimUser } from '../model/types';
import { setBuildStatus } from '../ops/builds';
import { addComment } from '../ops/comments';
import type { OpContext } from '../ops/context';
import { declinePullRequest, mergePullRequest, openPullRequest } from '../ops/pull-requests';
import { pushCommits } from '../ops/push';
import { createBranch } from '../ops/refs';
import { slugify } from '../ops/repositories';
import { review } from '../ops/reviews';
import { HOUR, MINUTE, type Micros } from '../util/time';
import { planPipeline } from './pipeline-plan';
import { at, type RepositoryPlan } from './schedule';

export interface PullRequestPlanSpec {
  index: number;
  createdAt: Micros;
  /** The earliest moment a branch may be cut (just after the repository exists). */
  notBefore: Micros;
  state: PullRequestState;
  issueKey: string;
  nextTag: () => string;
}

type Beat = { gap: Micros; run: (ctx: OpContext, pr: PullRequest) => void };

export function planPullRequest(plan: RepositoryPlan, spec: PullRequestPlanSpec): void {
  const rng = plan.plan;
  const users = plan.model.users;
  const author = rng.pick(users);
  const others = rng.shuffle(users.filter((user) => user !== author));
  const reviewers = rng.chance(0.8) ? others.slice(0, rng.int(1, 3)) : [];
  const noun = rng.pick(NOUNS);
  const branch = `${rng.pick(['feature', 'feature', 'bugfix', 'chore'])}/${spec.issueKey}-${100 + spec.index}-${slugify(noun)}`;
  const title = `${rng.pick(VERBS)} ${noun}`;
  const repo = plan.repo;

  const branchAt = Math.max(spec.createdAt - rng.int(2, 72) * HOUR, spec.notBefore);
  at(plan, branchAt, (ctx) => createBranch(ctx, repo(), author, branch, repo().branches.get(repo().mainBranch) as string));
  const commits = rng.int(1, 4);
  for (let c = 1; c <= commits; c++) pushWithBuild(plan, branchAt + (c / (commits + 1)) * (spec.createdAt - branchAt), author, branch);

  let pr: PullRequest | undefined;
  const draft = spec.state === 'OPEN' && rng.chance(0.15);
  const closeSourceBranch = rng.chance(0.8);
  at(plan, spec.createdAt, (ctx) => {
    pr = openPullRequest(ctx, repo(), {
      author, source: branch, destination: repo().mainBranch, title, description: `${title} (${spec.issueKey}-${100 + spec.index}).`,
      reviewers, draft, closeSourceBranch,
    }).pullRequest;
  });

  const beats: Beat[] = [];
  const commenters = reviewers.length > 0 ? reviewers : others.slice(0, 2);
  for (let k = rng.int(0, 3); k > 0; k--) {
    const commenter = rng.pick(commenters);
    const text = rng.pick(COMMENTS);
    beats.push({ gap: rng.int(10, 300) * MINUTE, run: (ctx, target) => addComment(ctx, repo(), target, commenter, { raw: text }) });
    if (rng.chance(0.4)) {
      beats.push({ gap: rng.int(5, 120) * MINUTE, run: (ctx, target) => addComment(ctx, repo(), target, author, { raw: 'Done, thanks for the review.' }) });
    }
  }
  const [firstReviewer] = reviewers;
  if (firstReviewer && rng.chance(0.35)) {
    beats.push({ gap: rng.int(30, 600) * MINUTE, run: (ctx, target) => review(ctx, repo(), target, firstReviewer, 'request-changes') });
    beats.push({ gap: rng.int(30, 300) * MINUTE, run: (ctx) => pushCommits(ctx, repo(), author, branch, [{ author }]) });
  }
  for (const reviewer of reviewers) {
    const approves = spec.state === 'MERGED' ? reviewer === firstReviewer || rng.chance(0.6) : rng.chance(0.5);
    if (approves) beats.push({ gap: rng.int(20, 480) * MINUTE, run: (ctx, target) => review(ctx, repo(), target, reviewer, 'approve') });
  }
  const closer = rng.chance(0.5) ? author : firstReviewer ?? author;
  let mergeHash: string | undefined;
  if (spec.state === 'MERGED') {
    beats.push({ gap: rng.int(30, 2880) * MINUTE, run: (ctx, target) => { mergeHash = mergePullRequest(ctx, repo(), target, closer).mergeCommit; } });
  } else if (spec.state === 'DECLINED') {
    beats.push({ gap: rng.int(60, 4320) * MINUTE, run: (ctx, target) => declinePullRequest(ctx, repo(), target, closer) });
  }

  // Squeeze the review into the time left before the history ends, keeping the order of the beats.
  const total = beats.reduce((sum, beat) => sum + beat.gap, 0);
  const scale = Math.min(1, (plan.end - spec.createdAt) / (total * 1.05 || 1));
  let t = spec.createdAt;
  for (const beat of beats) {
    t += Math.max(1, beat.gap * scale);
    at(plan, t, (ctx) => beat.run(ctx, pr as PullRequest));
  }
  if (spec.state === 'MERGED') planPipeline(plan, t + MINUTE, closer, () => mergeHash as string, spec.nextTag);
}

function pushWithBuild(plan: RepositoryPlan, when: Micros, author: SimUser, branch: string): void {
  let hash: string | undefined;
  const state = plan.plan.chance(0.15) ? 'FAILED' : 'SUCCESSFUL';
  const build = plan.plan.int(100, 999);
  at(plan, when, (ctx) => { hash = pushCommits(ctx, plan.repo(), author, branch, [{ author }]).commits[0]?.hash; });
  at(plan, when + plan.plan.int(3, 12) * MINUTE, (ctx) => setBuildStatus(ctx, plan.repo(), author, {
    commitHash: hash as string, key: 'ci-build', state, name: `ci-build #${build}`,
    url: `https://ci.example.com/job/${plan.repo().slug}/${build}/`, refname: branch,
  }));
}
