// Seeds `historyDays` of history ending at `baseTime`: per repository, a main line of direct pushes and
// merge commits, and the few numbers per pull request its full content is later regenerated from.
import { mainHash } from '../model/commits';
import { MainLine, type DcRepository } from '../model/repository';
import type { DcModel } from '../model/state';
import type { PullRequestState, SeededPullRequest } from '../model/types';
import { DAY, HOUR, MINUTE, SECOND } from '../util/dates';
import { Prng } from '../../sim-common/prng';

export interface HistoryOptions {
  base: number;
  historyDays: number;
  pullRequestsPerRepository: number;
}

/** Six in ten merged, one declined, three still open; at least one of each from three pull requests up. */
function states(rng: Prng, count: number): PullRequestState[] {
  const pattern: PullRequestState[] = ['MERGED', 'DECLINED', 'OPEN', 'MERGED', 'MERGED', 'OPEN', 'MERGED', 'MERGED', 'OPEN', 'MERGED'];
  return rng.shuffle(Array.from({ length: count }, (_, i) => pattern[i % pattern.length] as PullRequestState));
}

function planPullRequests(rng: Prng, repo: DcRepository, options: HistoryOptions, firstOrdinal: number): SeededPullRequest[] {
  const start = options.base - options.historyDays * DAY;
  const end = options.base - 10 * MINUTE;
  const span = (end - start) * 0.95;
  const count = options.pullRequestsPerRepository;
  return states(rng, count).map((state, i) => {
    const createdAt = Math.round(start + ((i + rng.next()) / count) * span);
    const cutAt = Math.max(repo.createdAt + HOUR, createdAt - rng.int(10 * MINUTE, 2 * DAY));
    const initialCommits = rng.int(1, 3);
    const addedCommits = rng.chance(0.35) ? rng.int(1, 2) : 0;
    const closedAt = state === 'OPEN' ? null : Math.max(createdAt + 5 * MINUTE, Math.min(end, createdAt + rng.int(20 * MINUTE, 5 * DAY)));
    const updatedAt = closedAt ?? Math.round(createdAt + rng.next() * (end - createdAt));
    const rescopeAt = addedCommits > 0 && updatedAt - createdAt > 4 * MINUTE ? Math.round(createdAt + (0.2 + 0.5 * rng.next()) * (updatedAt - createdAt)) : 0;
    return {
      id: i + 1, ordinal: firstOrdinal + i, state, cutAt, createdAt, rescopeAt, updatedAt, closedAt, initialCommits,
      addedCommits: rescopeAt ? addedCommits : 0, baseIndex: 0, mergeIndex: -1,
    };
  });
}

/** The main line, oldest first; merge commits take the time the pull request was merged. */
function buildMainLine(rng: Prng, repo: DcRepository, prs: SeededPullRequest[], options: HistoryOptions): MainLine {
  const start = options.base - options.historyDays * DAY;
  const end = options.base - 10 * MINUTE;
  const entries: { at: number; pullRequest: number }[] = [{ at: repo.createdAt, pullRequest: -1 }];
  const early = rng.int(3, 6);
  for (let k = 1; k <= early; k++) entries.push({ at: Math.round(repo.createdAt + (k / (early + 1)) * (start - repo.createdAt)), pullRequest: -1 });
  const direct = Math.max(1, Math.round(options.historyDays / 7));
  for (let k = 0; k < direct; k++) entries.push({ at: Math.round(start + rng.next() * (end - start)), pullRequest: -1 });
  for (const pr of prs) if (pr.state === 'MERGED') entries.push({ at: pr.closedAt as number, pullRequest: pr.id });
  entries.sort((a, b) => a.at - b.at);
  // Distinct seconds keep git order (and `git log` ties) unambiguous; a merge keeps its pull request's close time in step.
  for (let i = 1; i < entries.length; i++) {
    const entry = entries[i] as { at: number; pullRequest: number };
    entry.at = Math.max(entry.at, (entries[i - 1] as { at: number }).at + SECOND);
  }
  entries.forEach((entry, index) => {
    const pr = entry.pullRequest > 0 ? prs[entry.pullRequest - 1] : undefined;
    if (!pr) return;
    pr.closedAt = pr.updatedAt = entry.at;
    pr.mergeIndex = index;
  });
  return new MainLine(entries);
}

function seedTags(rng: Prng, model: DcModel, repo: DcRepository): void {
  const line = repo.mainLine;
  const count = Math.min(line.length - 1, 2 + Math.floor(line.length / 12));
  const positions = new Set(Array.from({ length: count }, () => rng.int(1, line.length - 1)));
  [...positions].sort((a, b) => a - b).forEach((position, k) => {
    const name = `v1.${k}.0`;
    repo.tags.set(name, { name, target: mainHash(model, repo, position), objectId: rng.chance(0.5) ? rng.hex(40) : null });
  });
}

export function seedHistory(model: DcModel, options: HistoryOptions): void {
  let ordinal = 0;
  for (const repo of model.repositories) {
    if (repo.originId !== undefined) continue;
    const rng = new Prng(`${model.identity.seed}/history/${repo.id}`);
    const prs = planPullRequests(rng.fork('pull-requests'), repo, options, ordinal);
    ordinal += prs.length;
    repo.mainLine = buildMainLine(rng.fork('main-line'), repo, prs, options);
    for (const pr of prs) pr.baseIndex = repo.mainLine.positionAt(pr.cutAt);
    repo.seeded = prs;
    repo.nextPullRequestId = prs.length + 1;
    repo.branches.set(repo.defaultBranch, mainHash(model, repo, repo.mainLine.length - 1));
    seedTags(rng.fork('tags'), model, repo);
  }
  // A fork starts as a copy of its origin's default branch on the day it was made.
  for (const fork of model.repositories.filter((repo) => repo.originId !== undefined)) {
    const origin = model.repositoryById(fork.originId as number);
    fork.branches.set(fork.defaultBranch, mainHash(model, origin, origin.mainLine.positionAt(fork.createdAt)));
  }
}
