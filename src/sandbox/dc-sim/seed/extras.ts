// The seeded instance's two special pull requests: one from a personal fork (so payloads show
// `origin` and personal projects), and the corrupt one whose own endpoints always answer 500.
import type { DcModel } from '../model/state';
import type { PullRequestCoordinates, OpContext } from '../runtime';
import { openPullRequest } from '../ops/pull-requests';
import { pushCommits } from '../ops/push';
import { addComment } from '../ops/reviews';
import { DAY } from '../util/dates';

/** Opens, at `at`, a pull request from the personal fork into its origin (no webhooks: nobody listens yet). */
export function seedForkPullRequest(ctx: OpContext): void {
  const fork = ctx.model.repositories.find((repo) => repo.originId !== undefined);
  if (!fork) return;
  const origin = ctx.model.repositoryById(fork.originId as number);
  const owner = ctx.model.project(fork.projectKey)?.ownerId;
  const author = ctx.model.userById(owner as number);
  const reviewer = ctx.model.users.find((user) => user.id !== author.id && user.id !== 1) ?? author;
  const step = (offset: number) => ({ ...ctx, at: ctx.at + offset });
  const branch = 'bugfix/typo-in-readme';
  pushCommits(step(0), fork, author, branch, ['Fix typo in README', 'Clarify setup steps'], { from: fork.branches.get(fork.defaultBranch) });
  const { pullRequest } = openPullRequest(step(60_000), origin, {
    author, source: fork, fromBranch: branch, toBranch: origin.defaultBranch, title: 'Fix typo in README',
    description: 'A small fix from my fork.', reviewers: [reviewer], draft: false,
  });
  addComment(step(0.2 * DAY), origin, pullRequest, reviewer, 'Thanks! Could you also check the install section?');
}

/** A merged pull request from the middle of the first repository's history, or none without history. */
export function chooseCorrupt(model: DcModel): PullRequestCoordinates | undefined {
  const repo = model.repositories[0];
  const seeded = repo?.seeded ?? [];
  if (!repo || seeded.length === 0) return undefined;
  const middle = Math.floor(seeded.length / 2);
  const ordered = [...seeded.slice(middle), ...seeded.slice(0, middle)];
  const chosen = ordered.find((pr) => pr.state === 'MERGED') ?? ordered[0];
  return chosen ? { repositoryId: repo.id, pullRequestId: chosen.id } : undefined;
}
