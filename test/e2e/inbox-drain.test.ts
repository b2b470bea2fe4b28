import { reconcilePasses, testSandbox, type TestSandbox } from './helpers';

// A trigger whose push the queue refuses (the installation's 500 events a minute) parks its change;
// the five-minute tick queues what is parked. Forge's storage answers a query with at most 20 keys
// a page, whatever limit the app asks for: the tick must still take a burst in, not 20 per tick. And
// storage refusing the inbox (its quota, in the very bursts that park changes) must not cost the tick
// its sweep and reconciliation: a scheduled trigger that fails is not run again.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, simulator: { seed: 'inbox', repositories: 1, rateLimitPerHour: 0 } });
  await sb.settle();
});
afterAll(() => sb.stop());

const repositoryUpdated = (i: number) => {
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  const actor = sb.simulator.model.users[0]!;
  return {
    eventType: 'avi:bitbucket:updated:repository',
    timestamp: new Date(Date.UTC(2026, 10, 20, 10, 0, i)).toISOString(),
    selfGenerated: false,
    actor: { type: 'user', accountId: actor.accountId, uuid: actor.uuid },
    repository: { uuid: repo.uuid, slug: repo.slug },
    project: { uuid: '{00000000-0000-4000-8000-000000000002}' },
    workspace: { uuid: sb.simulator.workspace.uuid },
    changes: { description: { old: { value: 'a', truncated: false }, new: { value: `b${i}`, truncated: false } } },
  };
};

it('queues a burst of parked changes on the next tick, past one storage page', async () => {
  const burst = 60;
  sb.sink.clear();
  sb.host.refusePushes('rate-limit', (body) => 'change' in body, burst);
  for (let i = 0; i < burst; i++) await sb.host.fireEvent(repositoryUpdated(i));
  expect(sb.host.kvs.keys('inbox:')).toHaveLength(burst);

  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(sb.host.kvs.keys('inbox:')).toEqual([]);
  expect(sb.sink.deliveries().filter((d) => d.eventKey === 'repo:updated')).toHaveLength(burst);
}, 60_000);

it('goes on with the sweep and the reconciliation when storage refuses the inbox', async () => {
  await sb.host.runScheduled('five-minute-tick'); // the first pass sets the watermarks
  await sb.settle();
  sb.host.refusePushes('rate-limit', (body) => 'change' in body, 1);
  await sb.host.fireEvent(repositoryUpdated(100));
  expect(sb.host.kvs.keys('inbox:')).toHaveLength(1);
  // The installation's storage quota is used up just as the tick clears the parked change.
  sb.host.throttleStorage((key) => key.startsWith('inbox:'), 1);
  for (const key of reconcilePasses(sb)) await sb.host.kvs.set(key, { ...((await sb.host.kvs.get(key)) as object), lastPassAt: 0 });

  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  const passes = await Promise.all(reconcilePasses(sb).map(async (key) => (await sb.host.kvs.get(key)) as { lastPassAt: number }));
  expect(passes.length).toBeGreaterThan(0);
  for (const pass of passes) expect(pass.lastPassAt).toBeGreaterThan(0);
}, 60_000);
