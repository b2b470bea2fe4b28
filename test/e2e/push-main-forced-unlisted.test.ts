import type { ForgeEvent } from '../../src/sandbox/cloud-sim';
import { manualEvents, testSandbox, type TestSandbox } from './helpers';

// A forced push to the main branch whose replaced head Bitbucket has collected, and whose Forge event
// lists no commits: nothing bounds a walk from the new head (no other branch, no old head, no named
// commits), so the push is the new head alone, marked truncated, read without listing any history.

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, simulator: { seed: 'forced-unlisted', repositories: 1, rateLimitPerHour: 0 } })));
afterAll(() => sb.stop());
const { act, fire } = manualEvents(() => sb);

type PushBody = { push: { changes: Array<{ forced: boolean; truncated: boolean; old: { target: { hash: string } } | null; new: { name: string; target: { hash: string } } | null }> }; pandev: { commits: Array<{ hash: string }>; commits_truncated: boolean } };

/** The push event as Forge may send it: without its commit list. */
function unlisted(events: ForgeEvent[]): ForgeEvent[] {
  return events.map((event) => {
    if (event.eventType !== 'avi:bitbucket:push:repository') return event;
    const { commits: _listed, truncated: _cut, ...push } = (event as unknown as { push: Record<string, unknown> }).push;
    return { ...event, push } as unknown as ForgeEvent;
  });
}

it("delivers a forced push to the main branch that lists no commits as its new head, without reading the main branch's history", async () => {
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  const main = repo.mainBranch;
  const start = repo.branches.get(main)!;
  const history = new Set(repo.commits.keys());
  const { commits: dropped } = sb.simulator.actions.pushCommits({ repository: repo.slug, branch: main, commits: 1 });
  const forced = act(() => sb.simulator.actions.forcePush({ repository: repo.slug, branch: main, onto: start, commits: 2 }));
  const head = repo.branches.get(main)!;
  expect(repo.commits.has(dropped[0]!)).toBe(false);
  sb.sink.clear();
  sb.simulator.resetStats();

  await fire(unlisted(forced));

  const pushes = sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').map((d) => d.body as PushBody);
  expect(pushes).toHaveLength(1);
  expect(pushes[0]!.push.changes[0]).toMatchObject({ forced: true, truncated: true, old: { target: { hash: dropped[0] } }, new: { name: main, target: { hash: head } } });
  expect(pushes[0]!.pandev.commits.map((c) => c.hash)).toEqual([head]);
  expect(pushes[0]!.pandev.commits.filter((c) => history.has(c.hash))).toEqual([]);
  expect(pushes[0]!.pandev.commits_truncated).toBe(true);
  // The repository, the ref and the gone old head: no commit listing.
  const stats = sb.simulator.stats();
  expect(stats.byRoute['GET /repositories/{workspace}/{repo_slug}/commits'] ?? 0).toBe(0);
  expect(stats.total).toBeLessThanOrEqual(3);
  expect(sb.logs.some((line) => JSON.stringify(line).includes('its event listed no commits'))).toBe(true);
}, 60_000);
