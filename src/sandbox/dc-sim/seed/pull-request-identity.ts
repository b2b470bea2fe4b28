// The cheap part of a seeded pull request: who, what, which branch and when its commits were made.
// Commit lookups and branch listings need these for thousands of pull requests at a time, so they come
// from a few draws of the pull request's own random stream, never from its whole generated history.
import type { DcModel } from '../model/state';
import type { DcRepository } from '../model/repository';
import type { DcUser, SeededPullRequest } from '../model/types';
import { wholeSeconds } from '../util/dates';
import { Prng } from '../../sim-common/prng';
import { NOUNS, VERBS } from '../../sim-common/words';

export interface PullRequestIdentity {
  noun: string;
  title: string;
  branch: string;
  author: DcUser;
  reviewers: DcUser[];
  /** Who presses Merge (also the merge commit's author), if it is merged. */
  merger: DcUser;
  /** Continues the same stream: the timeline draws from it after the identity. */
  rng: Prng;
}

export const slugify = (text: string): string => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** Seeded source branches carry the pull request id, so a branch name leads back to its pull request. */
export function seededBranchName(repo: DcRepository, id: number, noun: string): string {
  return `feature/${repo.projectKey.replace(/^~/, '').toUpperCase()}-${id}-${slugify(noun)}`;
}

export function pullRequestIdOfBranch(branch: string): number | undefined {
  const match = /^feature\/[A-Z0-9]+-(\d+)-[a-z0-9-]+$/.exec(branch);
  return match ? Number(match[1]) : undefined;
}

export function pullRequestIdentity(model: DcModel, repo: DcRepository, id: number): PullRequestIdentity {
  const rng = new Prng(`${model.identity.seed}/pr/${repo.id}/${id}`);
  const noun = rng.pick(NOUNS);
  const people = model.users.slice(1);
  const author = rng.pick(people);
  const reviewers = rng.shuffle(people.filter((user) => user !== author)).slice(0, rng.int(1, 3));
  const merger = rng.chance(0.7) ? author : (reviewers[0] ?? author);
  const title = `${rng.pick(VERBS)} ${noun}`;
  return { noun, title, branch: seededBranchName(repo, id, noun), author, reviewers, merger, rng };
}

/** When commit `index` of a seeded pull request was made: before opening, or before the rescope. */
export function seededCommitTime(pr: SeededPullRequest, index: number): number {
  if (index < pr.initialCommits) {
    return wholeSeconds(pr.cutAt + ((index + 1) / (pr.initialCommits + 1)) * (pr.createdAt - pr.cutAt));
  }
  const k = index - pr.initialCommits;
  return wholeSeconds(pr.createdAt + ((k + 1) / (pr.addedCommits + 1)) * (pr.rescopeAt - pr.createdAt));
}

export const seededCommitCount = (pr: SeededPullRequest): number => pr.initialCommits + pr.addedCommits;
