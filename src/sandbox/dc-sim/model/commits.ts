// Commits by id: live ones from the repository's map, seeded ones decoded from their ids and generated.
// `node` answers just parents and time (what a history walk needs) without generating any content.
import { commitMessage, directCommitContent, fileChanges, mergeMessage, person, subject } from '../seed/commit-content';
import { pullRequestIdentity, seededCommitCount, seededCommitTime } from '../seed/pull-request-identity';
import { wholeSeconds } from '../util/dates';
import { Prng } from '../../sim-common/prng';
import type { DcRepository } from './repository';
import type { DcModel } from './state';
import type { DcCommit, FileChange, SeededPullRequest } from './types';

export interface CommitNode {
  parents: string[];
  at: number;
}

export const mainHash = (model: DcModel, repo: DcRepository, index: number): string =>
  model.commitIds.encode({ kind: 'main', repoIndex: repo.index, index });

export const seededPrHash = (model: DcModel, repo: DcRepository, pullRequestId: number, index: number): string =>
  model.commitIds.encode({ kind: 'pr', repoIndex: repo.index, pullRequestId, index });

export const seededTip = (model: DcModel, repo: DcRepository, pr: SeededPullRequest): string =>
  seededPrHash(model, repo, pr.id, seededCommitCount(pr) - 1);

/** A fork shares its origin's objects, as forks do in Data Center's storage. */
function owner(model: DcModel, repo: DcRepository): DcRepository {
  return repo.originId === undefined ? repo : model.repositoryById(repo.originId);
}

type Located =
  | { kind: 'main'; repo: DcRepository; index: number }
  | { kind: 'pr'; repo: DcRepository; pr: SeededPullRequest; index: number };

function locate(model: DcModel, repo: DcRepository, hash: string): Located | undefined {
  const home = owner(model, repo);
  const locator = model.commitIds.decode(hash);
  if (!locator || locator.repoIndex !== home.index) return undefined;
  if (locator.kind === 'main') return locator.index < home.mainLine.length ? { kind: 'main', repo: home, index: locator.index } : undefined;
  const pr = home.seededPullRequest(locator.pullRequestId);
  return pr && locator.index < seededCommitCount(pr) ? { kind: 'pr', repo: home, pr, index: locator.index } : undefined;
}

function liveCommit(model: DcModel, repo: DcRepository, hash: string): DcCommit | undefined {
  return repo.commits.get(hash) ?? (repo.originId === undefined ? undefined : model.repositoryById(repo.originId).commits.get(hash));
}

export function node(model: DcModel, repo: DcRepository, hash: string): CommitNode | undefined {
  const live = liveCommit(model, repo, hash);
  if (live) return { parents: live.parents, at: live.committerAt };
  const found = locate(model, repo, hash);
  if (!found) return undefined;
  if (found.kind === 'pr') {
    const parent = found.index === 0 ? mainHash(model, found.repo, found.pr.baseIndex) : seededPrHash(model, found.repo, found.pr.id, found.index - 1);
    return { parents: [parent], at: seededCommitTime(found.pr, found.index) };
  }
  const { repo: home, index } = found;
  const parents = index === 0 ? [] : [mainHash(model, home, index - 1)];
  const merged = home.mainLine.pullRequest[index] as number;
  if (merged > 0) parents.push(seededTip(model, home, home.seededPullRequest(merged) as SeededPullRequest));
  return { parents, at: wholeSeconds(home.mainLine.at[index] as number) };
}

function seededPullRequestCommit(model: DcModel, repo: DcRepository, pr: SeededPullRequest, index: number): DcCommit {
  const identity = pullRequestIdentity(model, repo, pr.id);
  const rng = new Prng(`${model.identity.seed}/prc/${repo.id}/${pr.id}/${index}`);
  const at = seededCommitTime(pr, index);
  const author = person(identity.author);
  const parents = (node(model, repo, seededPrHash(model, repo, pr.id, index)) as CommitNode).parents;
  return {
    id: seededPrHash(model, repo, pr.id, index), parents, author, authorAt: at, committer: author, committerAt: at,
    message: commitMessage(rng, repo, identity.noun), changes: fileChanges(rng, repo),
  };
}

/** The files a seeded pull request changes: each path once, as its last commit left it. */
export function pullRequestChanges(commits: readonly DcCommit[]): FileChange[] {
  const byPath = new Map<string, FileChange>();
  for (const commit of commits) {
    for (const change of commit.changes) {
      const earlier = byPath.get(change.path);
      byPath.set(change.path, earlier?.type === 'ADD' ? { ...change, type: 'ADD', fromContentId: earlier.fromContentId } : change);
    }
  }
  return [...byPath.values()];
}

function seededMainCommit(model: DcModel, repo: DcRepository, index: number): DcCommit {
  const hash = mainHash(model, repo, index);
  const { parents, at } = node(model, repo, hash) as CommitNode;
  const merged = repo.mainLine.pullRequest[index] as number;
  if (merged < 0) {
    const rng = new Prng(`${model.identity.seed}/main/${repo.id}/${index}`);
    const content = directCommitContent(model, repo, rng);
    const message = index === 0 ? 'Initial commit' : content.message;
    const changes = index === 0 ? repo.files.map((path) => ({ path, type: 'ADD' as const, contentId: rng.hex(40), fromContentId: '0'.repeat(40) })) : content.changes;
    return { id: hash, parents, author: content.author, authorAt: at, committer: content.author, committerAt: at, message, changes };
  }
  const pr = repo.seededPullRequest(merged) as SeededPullRequest;
  const identity = pullRequestIdentity(model, repo, pr.id);
  const commits = Array.from({ length: seededCommitCount(pr) }, (_, i) => seededPullRequestCommit(model, repo, pr, i));
  const message = mergeMessage(repo, { id: pr.id, title: identity.title, branch: identity.branch, target: repo.defaultBranch },
    commits.map((commit) => ({ id: commit.id, subject: subject(commit.message) })));
  const merger = person(identity.merger);
  return { id: hash, parents, author: merger, authorAt: at, committer: merger, committerAt: at, message, changes: pullRequestChanges(commits) };
}

export function findCommit(model: DcModel, repo: DcRepository, hash: string): DcCommit | undefined {
  const live = liveCommit(model, repo, hash);
  if (live) return live;
  const found = locate(model, repo, hash);
  if (!found) return undefined;
  return found.kind === 'main' ? seededMainCommit(model, found.repo, found.index) : seededPullRequestCommit(model, found.repo, found.pr, found.index);
}

export function requireCommit(model: DcModel, repo: DcRepository, hash: string): DcCommit {
  const commit = findCommit(model, repo, hash);
  if (!commit) throw new Error(`commit ${hash} not found in ${repo.slug}`);
  return commit;
}
