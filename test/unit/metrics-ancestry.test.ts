import { containsCommit } from '../../src/core/metrics/ancestry';
import { containsFor } from '../../src/core/metrics/compute';
import type { KnownCommits } from '../../src/core/metrics/store';

// Whether a deployed commit includes a merge, from the commits seen: true, false, or cannot tell
// (undefined), never a guess. Commit dates are author dates, which a rebase keeps.

const h = (c: string) => c.repeat(40);
const graph = (commits: Record<string, { parents: string[]; date: string }>): KnownCommits =>
  new Map(Object.entries(commits).map(([c, commit]) => [h(c).slice(0, 12), { parents: commit.parents.map(h), date: commit.date }]));

describe('a walk back through the commits seen', () => {
  // d → c → m (the merge) → a → y (never seen), with d also merging x from a side branch never seen.
  const known = graph({
    d: { parents: ['c', 'x'], date: '2026-11-24T12:00:00Z' },
    c: { parents: ['m'], date: '2026-11-24T11:00:00Z' },
    m: { parents: ['a'], date: '2026-11-24T10:00:00Z' },
    a: { parents: ['y'], date: '2026-11-20T10:00:00Z' },
  });
  const since = Date.parse('2026-11-01T00:00:00Z');
  it('finds the merge through known parents', () => expect(containsCommit(known, h('d'), h('m'), since)).toBe(true));
  it('matches a 12-character hash against a full one', () => expect(containsCommit(known, h('c'), h('m').slice(0, 12), since)).toBe(true));
  it('cannot tell when a path leaves the commits seen', () => expect(containsCommit(known, h('d'), h('z'), since)).toBeUndefined());
  it('cannot tell either when the dates cut the walk short: a date proves nothing about ancestry', () => {
    expect(containsCommit(known, h('c'), h('z'), since)).toBeUndefined();
    expect(containsCommit(known, h('c'), h('z'), Date.parse('2026-11-22T00:00:00Z'))).toBeUndefined();
  });
  it('says no when every path meets the merge\'s own ancestors, however old their dates', () => {
    // a, two days older than the merge, is deployed after it: the quick walk stops at a's date.
    expect(containsCommit(known, h('a'), h('m'), Date.parse('2026-11-23T10:00:00Z'))).toBe(false);
  });
});

describe('rebased and fast-forwarded commits keep their old dates', () => {
  // main: 0 ← m (the merge of B, Nov 10 12:00) ← c' (A rebased onto main, author date Nov 5,
  // fast-forwarded Nov 11) ← d (a merge, Nov 12) which also merges e, a hotfix branched from 0.
  const known = graph({
    0: { parents: [], date: '2026-11-01T00:00:00Z' },
    m: { parents: ['0'], date: '2026-11-10T12:00:00Z' },
    c: { parents: ['m'], date: '2026-11-05T09:00:00Z' },
    d: { parents: ['c', 'e'], date: '2026-11-12T09:00:00Z' },
    e: { parents: ['0'], date: '2026-11-11T09:00:00Z' },
  });
  const contains = containsFor(known, Date.parse('2026-10-21T00:00:00Z'));
  it('a deployment of the rebased commit includes the merge beneath it', () => expect(contains(h('c'), h('m').slice(0, 12))).toBe(true));
  it('so does a deployment of a later merge on top of it', () => expect(contains(h('d'), h('m').slice(0, 12))).toBe(true));
  it('a deployment of the hotfix branch does not', () => expect(contains(h('e'), h('m').slice(0, 12))).toBe(false));
});
