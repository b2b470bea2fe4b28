import type { Commit } from '../enrich/cloud/schema';

// The repository's commit graph as the commits feed gives it (every branch, newest first, with
// parents), held locally so each pull request's commits follow from a walk instead of a request per
// pull request: its commits are those reachable from its source head and not from its destination.

export interface PullRequestCommits {
  commits: Commit[];
  /** Oldest commit of the pull request, when the walk reached it within the known graph. */
  firstCommitAt: string | null;
  /** Why the first commit is not known, when it is not. */
  incomplete?: 'source-unknown' | 'older-than-window' | 'undated';
}

/** A pull request merged earlier: its merge commit and the source commit it merged. */
export interface MergedPullRequest {
  merge: string;
  source: string;
}

// Pull request endpoints name commits by 12-character hashes; the feed by full ones.
const SHORT = 12;

export class CommitGraph {
  private readonly byHash = new Map<string, Commit>();
  private readonly byShort = new Map<string, Commit>();

  constructor(commits: Iterable<Commit> = []) {
    for (const commit of commits) this.add(commit);
  }

  add(commit: Commit): void {
    this.byHash.set(commit.hash, commit);
    this.byShort.set(commit.hash.slice(0, SHORT), commit);
  }

  get(hash: string): Commit | undefined {
    return this.byHash.get(hash) ?? (hash.length >= SHORT ? this.byShort.get(hash.slice(0, SHORT)) : undefined);
  }

  get size(): number {
    return this.byHash.size;
  }

  /** Hashes reachable from `from` (inclusive) within the known graph; `boundary` says whether it was left. */
  reachable(from: string): { hashes: Set<string>; boundary: boolean } {
    const hashes = new Set<string>();
    let boundary = false;
    const stack = [from];
    while (stack.length) {
      const commit = this.get(stack.pop()!);
      if (!commit) {
        boundary = true;
        continue;
      }
      if (hashes.has(commit.hash)) continue;
      hashes.add(commit.hash);
      for (const parent of commit.parents ?? []) stack.push(parent.hash);
    }
    return { hashes, boundary };
  }

  /**
   * What the destination holds: its ancestors, and the source commits of the pull requests whose merge
   * commit is among them (until no more are found: a squashed branch may itself hold another's merge).
   */
  private inDestination(destinationHead: string, mergedEarlier: Iterable<MergedPullRequest>): Set<string> {
    const held = this.reachable(destinationHead).hashes;
    let pending = [...mergedEarlier];
    for (let grew = true; grew; ) {
      grew = false;
      pending = pending.filter(({ merge, source }) => {
        const merged = this.get(merge);
        if (!merged || !held.has(merged.hash)) return true;
        this.addAncestry(source, held);
        grew = true;
        return false;
      });
    }
    return held;
  }

  /** Adds `from` and its ancestors to `held`, not walking past what it holds already (its ancestors are in it too). */
  private addAncestry(from: string, held: Set<string>): void {
    const stack = [from];
    while (stack.length) {
      const commit = this.get(stack.pop()!);
      if (!commit || held.has(commit.hash)) continue;
      held.add(commit.hash);
      for (const parent of commit.parents ?? []) stack.push(parent.hash);
    }
  }

  /**
   * The pull request's own commits: from its source head, stopping at anything its destination
   * reaches, and at anything the pull requests it already holds merged. Those matter for a squash
   * merge (one new commit on the destination, the merged branch's own commits not its ancestors): a
   * branch made from a feature branch squashed before it would otherwise count that branch's work too.
   */
  pullRequestCommits(sourceHead: string | undefined, destinationHead: string | undefined, mergedEarlier: Iterable<MergedPullRequest> = []): PullRequestCommits {
    const head = sourceHead ? this.get(sourceHead) : undefined;
    if (!head) return { commits: [], firstCommitAt: null, incomplete: 'source-unknown' };
    const excluded = destinationHead ? this.inDestination(destinationHead, mergedEarlier) : new Set<string>();
    // Listed as each commit's walk ends, after its parents': commits of the same second (a script's,
    // a rebase's) then keep their history's order through the sort below, so "oldest" means oldest
    // to whatever shortens or names them. Walked in visit order, a branch's first commit came last.
    const commits: Commit[] = [];
    const seen = new Set<string>();
    let leftGraph = false;
    const stack: Array<{ hash: string; walked?: Commit }> = [{ hash: head.hash }];
    while (stack.length) {
      const { hash, walked } = stack.pop()!;
      if (walked) {
        commits.push(walked);
        continue;
      }
      const commit = this.get(hash);
      if (!commit) {
        leftGraph = true;
        continue;
      }
      // By the commit's own hash: parents may be named by a short one (metrics/first-commit.ts).
      if (seen.has(commit.hash) || excluded.has(commit.hash)) continue;
      seen.add(commit.hash);
      stack.push({ hash, walked: commit });
      for (const parent of commit.parents ?? []) stack.push({ hash: parent.hash });
    }
    // A commit Bitbucket answered without a usable date (schema.ts, `passedOn`) goes last: compared
    // as NaN it left the order to chance, and the newest commit could be taken for the first.
    const at = (commit: Commit) => {
      const time = Date.parse(commit.date ?? '');
      return Number.isNaN(time) ? Infinity : time;
    };
    commits.sort((a, b) => at(a) - at(b));
    if (leftGraph) return { commits, firstCommitAt: null, incomplete: 'older-than-window' };
    // Undated commits sort last: when the first is one, Bitbucket dated none of them, and the time is
    // unknown for a reason of its own (not a text that is no time passed on as one).
    const first = commits[0];
    if (first && at(first) === Infinity) return { commits, firstCommitAt: null, incomplete: 'undated' };
    return { commits, firstCommitAt: first?.date ?? null };
  }
}
