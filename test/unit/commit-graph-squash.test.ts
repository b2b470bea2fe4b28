import type { Commit } from '../../src/core/enrich/cloud/schema';
import { CommitGraph } from '../../src/core/history/graph';

// A pull request's own commits, walked in the commit graph (the backfill's walk, and the live one
// when figures are read). A squash merge puts one commit on the destination whose only parent is the
// destination's old head: the branch's commits are not reachable from it by hash.

const day = (d: number, h = 12) => new Date(Date.UTC(2026, 10, d, h)).toISOString();
const commit = (hash: string, date: string, parents: string[] = []): Commit => ({ type: 'commit', hash: hash.padEnd(40, '0'), date, parents: parents.map((p) => ({ hash: p.padEnd(40, '0') })) });
const full = (hash: string) => hash.padEnd(40, '0');

// main: m1 ← sa (feature/a squashed) ← sb; feature/a: m1 ← a1 ← a2; feature/b made from a2: ← b1.
const graph = new CommitGraph([
  commit('sb', day(6), ['sa']),
  commit('sa', day(5), ['m1']),
  commit('b1', day(4, 10), ['a2']),
  commit('a2', day(2, 10), ['a1']),
  commit('a1', day(2, 9), ['m1']),
  commit('m1', day(1)),
]);

it('a pull request made from a branch squash-merged before it has only its own commits', () => {
  const walk = graph.pullRequestCommits(full('b1'), full('sa'), [{ merge: full('sa').slice(0, 12), source: full('a2').slice(0, 12) }]);
  expect(walk.commits.map((c) => c.hash)).toEqual([full('b1')]);
  expect(walk.firstCommitAt).toBe(day(4, 10));
});

it('a squash merge its destination does not reach yet takes nothing from the pull request', () => {
  // #2 merged before #1: a's commits went to main with #2, which is where they count.
  const walk = graph.pullRequestCommits(full('b1'), full('m1'), [{ merge: full('sa'), source: full('a2') }]);
  expect(walk.firstCommitAt).toBe(day(2, 9));
  expect(walk.commits).toHaveLength(3);
});
