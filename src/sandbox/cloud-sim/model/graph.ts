// Git semantics over the in-memory commit graph: revisions, reachability, `git log` order and diffstats.
import type { Commit, FileChange, Repository } from './types';

/** A branch, a tag, or a full or abbreviated (4+ hex digits, unambiguous) commit hash. */
export function resolveRevision(repo: Repository, revision: string): string | undefined {
  const branch = repo.branches.get(revision);
  if (branch) return branch;
  const tag = repo.tags.get(revision);
  if (tag) return tag.target;
  if (!/^[0-9a-f]{4,40}$/i.test(revision)) return undefined;
  const prefix = revision.toLowerCase();
  if (repo.commits.has(prefix)) return prefix;
  const matches = [...repo.commits.keys()].filter((hash) => hash.startsWith(prefix));
  return matches.length === 1 ? matches[0] : undefined;
}

function reachable(repo: Repository, tips: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...tips];
  while (stack.length > 0) {
    const hash = stack.pop() as string;
    if (seen.has(hash)) continue;
    const commit = repo.commits.get(hash);
    if (!commit) continue;
    seen.add(hash);
    stack.push(...commit.parents);
  }
  return seen;
}

/** Every ref tip, as `git log --all` starts from. */
export function allTips(repo: Repository): string[] {
  return [...repo.branches.values(), ...[...repo.tags.values()].map((tag) => tag.target)];
}

/**
 * Commits reachable from `include` and not from `exclude`, newest first. Every commit is created strictly
 * later than its parents (see ops/commits.ts), so date order is also a reverse topological order.
 */
export function log(repo: Repository, include: readonly string[], exclude: readonly string[] = []): Commit[] {
  const excluded = reachable(repo, exclude);
  return [...reachable(repo, include)]
    .filter((hash) => !excluded.has(hash))
    .map((hash) => repo.commits.get(hash) as Commit)
    .sort((a, b) => b.date - a.date);
}

/**
 * The file changes that take `base` to `head`: the changes of every commit reachable from `head` and not
 * from `base`, summed per path (Bitbucket's "topic" diff of a pull request).
 */
export function diffstat(repo: Repository, head: string, base: string | undefined): FileChange[] {
  const byPath = new Map<string, FileChange>();
  for (const change of log(repo, [head], base ? [base] : []).reverse().flatMap((commit) => commit.files)) {
    const previous = byPath.get(change.path);
    byPath.set(change.path, previous
      ? { ...previous, linesAdded: previous.linesAdded + change.linesAdded, linesRemoved: previous.linesRemoved + change.linesRemoved }
      : { ...change });
  }
  return [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path));
}

/** The first-parent of a commit: what a single-commit diffstat compares against. */
export function firstParent(repo: Repository, hash: string): string | undefined {
  return repo.commits.get(hash)?.parents[0];
}
