import type { KnownCommits } from './store';

// Whether a deployed commit includes a merge, from the commits the app has seen (pushes, backfill,
// reconciliation): a walk back from the deployed commit through known parents, never a request.
// Commit dates only keep the first walk short. A rebased or fast-forwarded commit keeps its author's
// old date while sitting on top of newer work, so a walk cut short by dates proves nothing; when it
// is, the merge's own ancestors decide instead: a path that reaches one of them cannot lead to the
// merge, since history has no cycles.

const KEY = 12; // pull request endpoints name commits by 12 characters, the feeds by 40: the store keys by 12
const MAX_STEPS = 50_000;

const short = (hash: string) => hash.slice(0, KEY);

/** The merge's ancestors by hash, commits never seen included (their hashes are known from their children). */
export type Ancestors = (merge: string) => Set<string> | undefined;

/**
 * True or false when the commits seen settle it; `undefined` when a path leaves them before it could
 * (a commit never seen, a graph too large to walk), so the answer is never a guess. `notBefore` is a
 * hint: commits dated before it are skipped by the first, quick walk.
 */
export function containsCommit(known: KnownCommits, deployed: string, merge: string, notBefore: number, ancestorsOf: Ancestors = (m) => ancestors(known, m)): boolean | undefined {
  const target = short(merge);
  const quick = walk(known, deployed, target, (commit) => commit?.date !== undefined && Date.parse(commit.date) < notBefore);
  if (quick === 'found') return true;
  if (quick === 'exhausted') return false;
  const behind = ancestorsOf(target);
  if (!behind) return undefined;
  const sure = walk(known, deployed, target, (_, hash) => behind.has(hash));
  if (sure === 'found') return true;
  return sure === 'exhausted' || sure === 'stopped' ? false : undefined;
}

/** Every ancestor of `commit` the commits seen name; undefined past `MAX_STEPS`. */
export function ancestors(known: KnownCommits, commit: string): Set<string> | undefined {
  const found = new Set<string>();
  const stack = (known.get(short(commit))?.parents ?? []).map(short);
  while (stack.length) {
    const hash = stack.pop()!;
    if (found.has(hash)) continue;
    if (found.size >= MAX_STEPS) return undefined;
    found.add(hash);
    for (const parent of known.get(hash)?.parents ?? []) stack.push(short(parent));
  }
  return found;
}

type Walked = 'found' | 'exhausted' | 'stopped' | 'unknown' | 'too-long';

/** Depth-first from `from` to `target`, not past commits `stop` names; says how it ended. */
function walk(known: KnownCommits, from: string, target: string, stop: (commit: { date?: string } | undefined, hash: string) => boolean): Walked {
  const seen = new Set<string>();
  const stack = [short(from)];
  let unknown = false;
  let stopped = false;
  while (stack.length) {
    const hash = stack.pop()!;
    if (hash === target) return 'found';
    if (seen.has(hash)) continue;
    if (seen.size >= MAX_STEPS) return 'too-long';
    seen.add(hash);
    const commit = known.get(hash);
    if (stop(commit, hash)) stopped = true;
    else if (!commit) unknown = true;
    else for (const parent of commit.parents) stack.push(short(parent));
  }
  return unknown ? 'unknown' : stopped ? 'stopped' : 'exhausted';
}
