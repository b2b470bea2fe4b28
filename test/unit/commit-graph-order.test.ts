import type { Commit } from '../../src/core/enrich/cloud/schema';
import { CommitGraph } from '../../src/core/history/graph';

// A pull request's commits are listed oldest first, and what shortens or names "the oldest" relies
// on it. Commits made in the same second (a script's, a rebase's) are ordered by their history:
// parents before children.

const at = '2026-11-20T10:00:00+00:00';
const later = '2026-11-20T10:00:05+00:00';
const commit = (hash: string, date: string, parents: string[] = []): Commit => ({ type: 'commit', hash: hash.padEnd(40, '0'), date, parents: parents.map((p) => ({ hash: p.padEnd(40, '0') })) });
const full = (hash: string) => hash.padEnd(40, '0');
const walk = (graph: CommitGraph, head: string, destination: string) => graph.pullRequestCommits(full(head), full(destination)).commits.map((c) => c.hash.replace(/0+$/, ''));

it('a branch of commits of the same second lists its first commit first', () => {
  // The feed's order (newest first), then the reverse: the order they arrive in must not matter.
  const feed = [commit('c4', at, ['c3']), commit('c3', at, ['c2']), commit('c2', at, ['c1']), commit('c1', at, ['b0']), commit('b0', '2026-11-01T00:00:00+00:00')];
  expect(walk(new CommitGraph(feed), 'c4', 'b0')).toEqual(['c1', 'c2', 'c3', 'c4']);
  expect(walk(new CommitGraph([...feed].reverse()), 'c4', 'b0')).toEqual(['c1', 'c2', 'c3', 'c4']);
});

it('a merge of the same second comes after both its parents, and dates still come first', () => {
  // m merges x into y; x's parent is y's parent p. Listed first as the merge's parents are
  // [x, y] and then [y, x], since a walk takes the last-pushed parent first.
  for (const parents of [['x', 'y'], ['y', 'x']]) {
    const graph = new CommitGraph([commit('m', at, parents), commit('x', at, ['p']), commit('y', at, ['p']), commit('p', at, ['b0']), commit('n', later, ['m']), commit('b0', '2026-11-01T00:00:00+00:00')]);
    const order = walk(graph, 'n', 'b0');
    expect(order[0]).toBe('p');
    expect(order.indexOf('m')).toBeGreaterThan(Math.max(order.indexOf('x'), order.indexOf('y')));
    expect(order.slice(-2)).toEqual(['m', 'n']);
    expect(order).toHaveLength(5);
  }
});

it('a dated commit newer than its child (a clock that was wrong) still sorts by date', () => {
  const graph = new CommitGraph([commit('c2', at, ['c1']), commit('c1', later, ['b0']), commit('b0', '2026-11-01T00:00:00+00:00')]);
  expect(walk(graph, 'c2', 'b0')).toEqual(['c2', 'c1']);
});
