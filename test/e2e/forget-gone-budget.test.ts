import { kvKey } from '../../src/core/keys';
import { hostStores } from '../../src/sandbox/host-store';
import { testSandbox, type TestSandbox } from './helpers';

// Every Bitbucket request the app makes is spent from one hourly budget the scheduler plans against:
// the daily walk over the records of deleted repositories asks Bitbucket about each, and those
// requests count even when the walk stops half-way (a storage or Bitbucket failure).

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, simulator: { seed: 'forget-budget', repositories: 2, rateLimitPerHour: 0 } })));
afterAll(() => sb.stop());

const repositoryReads = () => sb.simulator.stats().byRoute['GET /repositories/{workspace}/{repo_slug}'] ?? 0;
const appRequests = () => sb.simulator.stats().byCredential.app ?? 0;
async function budgetUsed(): Promise<number> {
  let used = 0;
  for (const key of sb.host.kvs.keys('budget:used:')) used += (await sb.host.kvs.get(key)) as number;
  return used;
}

it('counts the requests of a forget-gone walk that failed in the budget', async () => {
  // A first tick passes every repository and walks the (still empty) records: the next one, nothing
  // being due, does nothing but walk them again.
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  await sb.host.kvs.delete('reconcile:forget');
  const { store } = hostStores(sb.host);
  // Records of repositories deleted long ago: the walk asks Bitbucket about each (a 404 apiece).
  const leftovers = Array.from({ length: 4 }, (_, i) => kvKey('activity', `{00000000-0000-4000-8000-${String(i).padStart(12, '0')}}`));
  for (const key of leftovers) await store.set(key, { lastEventKey: 'repo:push', lastEventAt: new Date().toISOString(), lastDeliveredAt: Date.now() });
  // Storage refuses the walk's first deletion, after Bitbucket has answered for all four.
  sb.host.throttleStorage((key) => leftovers.includes(key), 1);
  const lookupsBefore = repositoryReads();

  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();

  expect(sb.host.kvs.keys('activity:')).toEqual(expect.arrayContaining(leftovers));
  expect(repositoryReads() - lookupsBefore).toBe(leftovers.length);
  expect(await budgetUsed()).toBe(appRequests());
}, 60_000);
