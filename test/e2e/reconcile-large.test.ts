import { settingsStore } from '../../src/core/config/settings';
import { hostStores } from '../../src/sandbox/host-store';
import { testSandbox, type TestSandbox } from './helpers';

// A workspace of 2,000 repositories: its list is more than one Forge storage value may hold (240 KiB),
// so the reconciliation keeps it in chunks. A small request budget keeps each pass short here.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, simulator: { seed: 'large', repositories: 2000, pullRequestsPerRepository: 0, historyDays: 1 } });
  await settingsStore(hostStores(sb.host).store, hostStores(sb.host).secrets).savePreferences({ requestsPerHour: 200 });
}, 60_000);
afterAll(() => sb.stop());

const listRequests = () => sb.simulator.stats().byRoute['GET /repositories/{workspace}'] ?? 0;

it('plans a pass over 2,000 repositories as far as the budget goes, and keeps the list for the next tick', async () => {
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(sb.logs.filter((line) => /could not plan/.test(line.message))).toEqual([]);
  // 20 pages of 100 for the list, then the workspace query for pushes.
  expect(listRequests()).toBe(21);
  const passed = sb.host.kvs.keys('reconcile:repo:').length;
  expect(passed).toBeGreaterThan(0);
  expect(sb.logs.some((line) => /deferred for lack of request budget/.test(line.message))).toBe(true);

  sb.simulator.resetStats();
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  // The list comes from storage: only the workspace query for pushes goes to Bitbucket.
  expect(listRequests()).toBeLessThanOrEqual(1);
}, 120_000);
