import type { Change } from '../../src/core/change/change';
import { figuresFor } from '../../src/core/metrics/compute';
import { recordDelivered } from '../../src/core/metrics/recorder';
import { factsStore } from '../../src/core/metrics/store';
import type { KeyValueStore } from '../../src/core/ports';
import { MemoryStore } from '../../src/sandbox/memory-store';

// A pull request's first commit, live: the source branch's pushes give it, and the commits seen
// measure it against the pull request's destination (a branch made from another feature branch lists
// that branch's commits too). Bodies are the fields our delivered bodies carry for the recorder.

const REPOSITORY = '{r}';
const hash = (name: string) => name.padEnd(40, '0');
const day = (d: number, h = 12) => new Date(Date.UTC(2026, 10, d, h)).toISOString();

function change(at: string, kind: 'pullrequest' | 'push' = 'pullrequest'): Change {
  return { edition: 'cloud', workspace: '{w}', repository: { uuid: REPOSITORY }, origin: 'trigger', at, kind, action: 'created', pullRequestId: 1 } as unknown as Change;
}

type Listed = { name: string; date: string; parents: string[] };
async function push(kv: KeyValueStore, branch: string, at: string, commits: Listed[], created = false) {
  const body = { push: { changes: [{ created, forced: false, closed: false }] }, pandev: { ref: { type: 'branch', name: branch }, commits: commits.map((c) => ({ hash: hash(c.name), date: c.date, parents: c.parents.map(hash) })) } };
  await recordDelivered(kv, 'repo:push', change(at, 'push'), JSON.stringify(body));
}

async function pullRequest(kv: KeyValueStore, key: string, at: string, pr: { id: number; state: string; source: [string, string]; destination: [string, string]; created: string; merge?: string }) {
  const endpoint = ([branch, commit]: [string, string]) => ({ branch: { name: branch }, commit: { hash: hash(commit).slice(0, 12) }, repository: { uuid: REPOSITORY } });
  const body = {
    pullrequest: {
      id: pr.id, title: 'Work', state: pr.state, author: { uuid: '{author}' }, created_on: pr.created, updated_on: at,
      source: endpoint(pr.source), destination: endpoint(pr.destination),
      ...(pr.merge ? { merge_commit: { hash: hash(pr.merge).slice(0, 12) } } : {}),
    },
  };
  await recordDelivered(kv, key, change(at), JSON.stringify(body));
}

/** Counts the store's listings under a prefix: each is one KVS query on Forge (20 keys at most). */
function counting(kv: MemoryStore, prefix: string): { store: KeyValueStore; lists: () => number } {
  let lists = 0;
  const store: KeyValueStore = {
    get: (key) => kv.get(key),
    set: (key, value, options) => kv.set(key, value, options),
    delete: (key) => kv.delete(key),
    list: (p, options) => {
      if (p.startsWith(prefix)) lists += 1;
      return kv.list(p, options);
    },
  };
  return { store, lists: () => lists };
}

it('a pull request\'s first delivery reads no listing of the repository\'s commits, however many were seen', async () => {
  const kv = new MemoryStore({ now: () => Date.UTC(2026, 10, 20) });
  // Three thousand commits on main over the last days, then a branch with three of its own.
  const main: Listed[] = Array.from({ length: 3000 }, (_, i) => ({ name: `m${i}`, date: new Date(Date.UTC(2026, 10, 1) + i * 300_000).toISOString(), parents: i ? [`m${i - 1}`] : [] }));
  await push(kv, 'main', day(12), main);
  await push(kv, 'feature/x', day(13), [
    { name: 'f3', date: day(13, 11), parents: ['f2'] },
    { name: 'f2', date: day(13, 10), parents: ['f1'] },
    { name: 'f1', date: day(13, 9), parents: ['m2999'] },
  ], true);

  const { store, lists } = counting(kv, 'metrics:commit');
  await pullRequest(store, 'pullrequest:created', day(13, 12), { id: 1, state: 'OPEN', source: ['feature/x', 'f3'], destination: ['main', 'm2999'], created: day(13, 12) });
  expect(lists()).toBe(0);
  expect((await factsStore(kv).pullRequest(REPOSITORY, 1))?.firstCommitOn).toBe(day(13, 9));
});

it('a branch made from a feature branch that merges first is measured from its own first commit', async () => {
  const kv = new MemoryStore({ now: () => Date.UTC(2026, 10, 20) });
  const facts = factsStore(kv);
  await push(kv, 'main', day(1), [{ name: 'm1', date: day(1), parents: [] }]);
  // feature/a: two days of work; feature/b made from its head two days later, listed against main.
  await push(kv, 'feature/a', day(2, 11), [{ name: 'a2', date: day(2, 10), parents: ['a1'] }, { name: 'a1', date: day(2, 9), parents: ['m1'] }], true);
  await push(kv, 'feature/b', day(4, 11), [{ name: 'b1', date: day(4, 10), parents: ['a2'] }, { name: 'a2', date: day(2, 10), parents: ['a1'] }, { name: 'a1', date: day(2, 9), parents: ['m1'] }], true);
  // #2 from feature/b into main, opened while feature/a is still under review: it shows a's commits.
  await pullRequest(kv, 'pullrequest:created', day(4, 12), { id: 2, state: 'OPEN', source: ['feature/b', 'b1'], destination: ['main', 'm1'], created: day(4, 12) });
  expect((await facts.pullRequest(REPOSITORY, 2))?.firstCommitOn).toBe(day(2, 9));

  // #1 (feature/a) merges on day 5; main's push lists the merge and a's commits.
  await push(kv, 'main', day(5), [{ name: 'ma', date: day(5), parents: ['m1', 'a2'] }, { name: 'a2', date: day(2, 10), parents: ['a1'] }, { name: 'a1', date: day(2, 9), parents: ['m1'] }]);
  // #2 merges on day 6 into a main that already holds a's work: its own work began with b1.
  await push(kv, 'main', day(6), [{ name: 'mb', date: day(6), parents: ['ma', 'b1'] }, { name: 'b1', date: day(4, 10), parents: ['a2'] }]);
  await pullRequest(kv, 'pullrequest:fulfilled', day(6), { id: 2, state: 'MERGED', source: ['feature/b', 'b1'], destination: ['main', 'ma'], created: day(4, 12), merge: 'mb' });

  const figures = await figuresFor(facts, (await facts.pullRequest(REPOSITORY, 2))!, Date.UTC(2026, 10, 20));
  expect(figures.pr.coding).toEqual({ seconds: 2 * 3600 }); // b1 at 10:00 → opened at 12:00, not a1 two days before
  expect(figures.pr.lead).toEqual({ seconds: 2 * 86_400 + 2 * 3600, basis: 'merge' }); // b1 → the merge on day 6 at 12:00
  // The repository's median lead time counts it the same way.
  expect(figures.repo.leadTime).toMatchObject({ seconds: 2 * 86_400 + 2 * 3600, pullRequests: 1 });
});

it('a branch made from a feature branch that was squash-merged first is measured from its own first commit', async () => {
  const kv = new MemoryStore({ now: () => Date.UTC(2026, 10, 20) });
  const facts = factsStore(kv);
  await push(kv, 'main', day(1), [{ name: 'm1', date: day(1), parents: [] }]);
  await push(kv, 'feature/a', day(2, 11), [{ name: 'a2', date: day(2, 10), parents: ['a1'] }, { name: 'a1', date: day(2, 9), parents: ['m1'] }], true);
  await push(kv, 'feature/b', day(4, 11), [{ name: 'b1', date: day(4, 10), parents: ['a2'] }, { name: 'a2', date: day(2, 10), parents: ['a1'] }, { name: 'a1', date: day(2, 9), parents: ['m1'] }], true);
  await pullRequest(kv, 'pullrequest:created', day(2, 12), { id: 1, state: 'OPEN', source: ['feature/a', 'a2'], destination: ['main', 'm1'], created: day(2, 12) });
  await pullRequest(kv, 'pullrequest:created', day(4, 12), { id: 2, state: 'OPEN', source: ['feature/b', 'b1'], destination: ['main', 'm1'], created: day(4, 12) });

  // #1 is squash-merged on day 5: main gets one commit whose only parent is m1, none of a's by hash.
  await push(kv, 'main', day(5), [{ name: 'sa', date: day(5), parents: ['m1'] }]);
  await pullRequest(kv, 'pullrequest:fulfilled', day(5), { id: 1, state: 'MERGED', source: ['feature/a', 'a2'], destination: ['main', 'm1'], created: day(2, 12), merge: 'sa' });
  // #2 is squash-merged on day 6 into a main that already holds a's work, squashed.
  await push(kv, 'main', day(6), [{ name: 'sb', date: day(6), parents: ['sa'] }]);
  await pullRequest(kv, 'pullrequest:fulfilled', day(6), { id: 2, state: 'MERGED', source: ['feature/b', 'b1'], destination: ['main', 'sa'], created: day(4, 12), merge: 'sb' });

  const figures = await figuresFor(facts, (await facts.pullRequest(REPOSITORY, 2))!, Date.UTC(2026, 10, 20));
  expect(figures.pr.coding).toEqual({ seconds: 2 * 3600 }); // b1 at 10:00 → opened at 12:00, not a1 two days before
  expect(figures.pr.lead).toEqual({ seconds: 2 * 86_400 + 2 * 3600, basis: 'merge' });
  // The repository's median lead time: #1's 3 days 3 hours and #2's 2 days 2 hours, not a's work twice.
  expect(figures.repo.leadTime).toMatchObject({ seconds: (3 * 86_400 + 3 * 3600 + 2 * 86_400 + 2 * 3600) / 2, pullRequests: 2 });
});

it('a pull request from a branch whose earlier pull request was declined is measured from the branch\'s new life, not its old commits', async () => {
  const kv = new MemoryStore({ now: () => Date.UTC(2026, 10, 20) });
  const facts = factsStore(kv);
  await push(kv, 'main', day(1), [{ name: 'm1', date: day(1), parents: [] }]);
  await push(kv, 'feature/x', day(2, 11), [{ name: 'x1', date: day(2, 9), parents: ['m1'] }], true);
  await pullRequest(kv, 'pullrequest:created', day(2, 12), { id: 1, state: 'OPEN', source: ['feature/x', 'x1'], destination: ['main', 'm1'], created: day(2, 12) });
  await pullRequest(kv, 'pullrequest:rejected', day(3), { id: 1, state: 'DECLINED', source: ['feature/x', 'x1'], destination: ['main', 'm1'], created: day(2, 12) });
  // The branch lives on: new work on day 5, and a new pull request from it, merged on day 6.
  await push(kv, 'feature/x', day(5, 11), [{ name: 'x2', date: day(5, 10), parents: ['x1'] }]);
  await pullRequest(kv, 'pullrequest:created', day(5, 12), { id: 2, state: 'OPEN', source: ['feature/x', 'x2'], destination: ['main', 'm1'], created: day(5, 12) });
  await push(kv, 'main', day(6), [{ name: 'mx', date: day(6), parents: ['m1', 'x2'] }]);
  await pullRequest(kv, 'pullrequest:fulfilled', day(6), { id: 2, state: 'MERGED', source: ['feature/x', 'x2'], destination: ['main', 'm1'], created: day(5, 12), merge: 'mx' });

  const figures = await figuresFor(facts, (await facts.pullRequest(REPOSITORY, 2))!, Date.UTC(2026, 10, 20));
  // x1 was the declined pull request's work: the new one began with x2 (README: the next pull request starts afresh).
  expect(figures.pr.coding).toEqual({ seconds: 2 * 3600 });
  expect(figures.repo.leadTime).toMatchObject({ seconds: 86_400 + 2 * 3600, pullRequests: 1 });
});

it('a pull request whose branch push is recorded only after its merge is measured by the walk, not left without a first commit', async () => {
  // Forge does not order events, and a push whose delivery PanDev answered with a 5xx is recorded
  // when it is retried: after a quick pull request merged and began the branch's next life.
  for (const pushLast of [false, true]) {
    const kv = new MemoryStore({ now: () => Date.UTC(2026, 10, 20) });
    const facts = factsStore(kv);
    await push(kv, 'main', day(1), [{ name: 'm1', date: day(1), parents: [] }]);
    const work = () => push(kv, 'feature/q', day(2, 11), [{ name: 'q2', date: day(2, 10), parents: ['q1'] }, { name: 'q1', date: day(2, 9), parents: ['m1'] }], true);
    if (!pushLast) await work();
    await pullRequest(kv, 'pullrequest:created', day(2, 12), { id: 3, state: 'OPEN', source: ['feature/q', 'q2'], destination: ['main', 'm1'], created: day(2, 12) });
    await pullRequest(kv, 'pullrequest:fulfilled', day(2, 13), { id: 3, state: 'MERGED', source: ['feature/q', 'q2'], destination: ['main', 'm1'], created: day(2, 12), merge: 'mq' });
    if (pushLast) await work();
    const figures = await figuresFor(facts, (await facts.pullRequest(REPOSITORY, 3))!, Date.UTC(2026, 10, 20));
    expect({ pushLast, coding: figures.pr.coding }).toEqual({ pushLast, coding: { seconds: 3 * 3600 } }); // q1 at 09:00 → opened at 12:00
  }
});

it('a pull request from a branch pushed before the app watched stays without a first commit when the commits seen do not reach', async () => {
  const kv = new MemoryStore({ now: () => Date.UTC(2026, 10, 20) });
  const facts = factsStore(kv);
  await push(kv, 'main', day(1), [{ name: 'm1', date: day(1), parents: [] }]);
  // Only the branch's last push was seen, after its pull request merged: its first commit's parent is unknown.
  await pullRequest(kv, 'pullrequest:created', day(2, 12), { id: 4, state: 'OPEN', source: ['feature/r', 'r2'], destination: ['main', 'm1'], created: day(2, 12) });
  await pullRequest(kv, 'pullrequest:fulfilled', day(2, 13), { id: 4, state: 'MERGED', source: ['feature/r', 'r2'], destination: ['main', 'm1'], created: day(2, 12), merge: 'mr' });
  await push(kv, 'feature/r', day(2, 11), [{ name: 'r2', date: day(2, 10), parents: ['r1'] }]);
  const figures = await figuresFor(facts, (await facts.pullRequest(REPOSITORY, 4))!, Date.UTC(2026, 10, 20));
  expect(figures.pr.coding).toMatchObject({ unavailable: expect.stringContaining('first commit not seen') });
});
