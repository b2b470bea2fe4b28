import { refStateKey } from '../../src/core/pipeline/ref-state';
import { testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// Forge's storage holds what an installation writes for as long as it stays installed: what the app
// keeps must stay bounded as the installation ages, whatever a busy workspace deletes. The app's
// clock (and Bitbucket's) is moved forward to see what is still kept.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const realNow = Date.now.bind(Date);
const moveClock = (ms: number) => jest.spyOn(Date, 'now').mockImplementation(() => realNow() + ms);

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ scheduledTriggers: false, maxPlatformRetries: 50, simulator: { seed: 'storage-growth', repositories: 3, rateLimitPerHour: 0 } })));
afterAll(() => sb.stop());
afterEach(() => jest.restoreAllMocks());
const call = settingsCaller(() => sb);
const repositories = () => [...sb.simulator.model.repositories.values()];

it('keeps the hourly delivery counts for the day the status sums, not three', async () => {
  sb.simulator.actions.openPullRequest({ repository: repositories()[0]!.slug });
  await sb.settle();
  const counted = data(await call('status/get')).deliveries.delivered;
  expect(counted).toBeGreaterThan(0);
  expect(sb.host.kvs.keys('stats:').length).toBeGreaterThan(0);
  moveClock(23 * HOUR);
  expect(data(await call('status/get')).deliveries.delivered).toBe(counted);
  // Past the day the status sums, nothing reads them.
  moveClock(26 * HOUR);
  expect(sb.host.kvs.keys('stats:')).toEqual([]);
}, 60_000);

it("keeps a deleted branch's tip as long as the delivery ledger may hold its making, not a year", async () => {
  const repo = repositories()[0]!;
  const a = sb.simulator.actions;
  a.createBranch({ repository: repo.slug, name: 'short-lived' });
  a.createBranch({ repository: repo.slug, name: 'long-lived' });
  await sb.settle();
  a.deleteBranch({ repository: repo.slug, name: 'short-lived' });
  await sb.settle();
  const deleted = refStateKey(repo.uuid, 'branch', 'short-lived');
  const live = refStateKey(repo.uuid, 'branch', 'long-lived');
  expect(await sb.host.kvs.get(deleted)).toMatchObject({ tip: null });
  moveClock(30 * DAY);
  expect(sb.host.kvs.keys('ref:')).toEqual(expect.arrayContaining([deleted, live]));
  moveClock(37 * DAY);
  const kept = sb.host.kvs.keys('ref:');
  expect(kept).toContain(live);
  expect(kept).not.toContain(deleted);
}, 60_000);
