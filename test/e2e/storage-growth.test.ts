import { saveBackfill, type BackfillRecord } from '../../src/core/backfill/state';
import { kvKey } from '../../src/core/keys';
import { refStateKey } from '../../src/core/pipeline/ref-state';
import { hostStores } from '../../src/sandbox/host-store';
import { reconcileNow, testSandbox, type TestSandbox } from './helpers';
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

it("keeps a deleted branch's tip as long as the delivery ledger or the dead letters may hold its making, not a year", async () => {
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
  moveClock(89 * DAY);
  expect(sb.host.kvs.keys('ref:')).toEqual(expect.arrayContaining([deleted, live]));
  moveClock(92 * DAY);
  const kept = sb.host.kvs.keys('ref:');
  expect(kept).toContain(live);
  expect(kept).not.toContain(deleted);
}, 60_000);

it("forgets the records of repositories deleted in Bitbucket at the tick; a deleted one's backfill is named on the status for a week first", async () => {
  const [live, deselected, deleted] = repositories();
  for (const repo of [live!, deselected!, deleted!]) sb.simulator.actions.openPullRequest({ repository: repo.slug });
  await sb.settle();
  data(await call('repositories/select', { scope: 'repositories', repositories: [deselected!.uuid], selected: false }));
  // As the backfill leaves them: done, and one whose repository was deleted under it.
  const { store } = hostStores(sb.host);
  const record = (repo: typeof live, state: BackfillRecord['state']): BackfillRecord => ({
    repository: repo!.uuid, name: repo!.name, state, windowDays: 30, since: new Date(realNow() - 30 * DAY).toISOString(), requestedAt: realNow(),
    run: 'r', updatedAt: realNow(), done: 0, requests: 0, leftOutInARow: 0, skipped: [], skippedCount: 0,
  });
  await saveBackfill(store, record(live, 'done'));
  await saveBackfill(store, record(deselected, 'done'));
  await saveBackfill(store, record(deleted, 'gone'));
  await reconcileNow(sb);
  const activity = (repo: typeof live) => kvKey('activity', repo!.uuid);
  const backfill = (repo: typeof live) => kvKey('backfill', repo!.uuid);
  const passes = (repo: typeof live) => kvKey('reconcile', 'repo', repo!.uuid);
  const mark = kvKey('selected', 0, deselected!.uuid);
  const all = () => ['activity:', 'backfill:', 'selected:', 'reconcile:repo:'].flatMap((prefix) => sb.host.kvs.keys(prefix));
  expect(all()).toEqual(expect.arrayContaining([activity(live), activity(deselected), activity(deleted), backfill(live), backfill(deselected), backfill(deleted), mark, passes(live), passes(deleted)]));

  sb.simulator.actions.deleteRepository({ repository: deselected!.slug });
  sb.simulator.actions.deleteRepository({ repository: deleted!.slug });
  // The tick walks the records daily, against the list of repositories it reads hourly: a day on, the list lacks the two.
  moveClock(DAY + HOUR);
  await reconcileNow(sb);
  // No pass found the deleted one gone (the list dropped it first): its reconciliation's state goes too.
  expect(all().sort()).toEqual([activity(live), backfill(deleted), backfill(live), passes(live)].sort());
  const status = data(await call('status/get'));
  expect(status.notes).toEqual(expect.arrayContaining([expect.objectContaining({ text: expect.stringContaining(deleted!.name) })]));

  // Past the week the status names it, its backfill record goes too.
  moveClock(8 * DAY);
  await reconcileNow(sb);
  expect(all().sort()).toEqual([activity(live), backfill(live), passes(live)].sort());
}, 120_000);

it('lets go of a bounded part at each tick: hundreds of deleted repositories are forgotten over a few ticks', async () => {
  const { store } = hostStores(sb.host);
  const kept = sb.host.kvs.keys('activity:');
  // What a year of deletions left behind, from before the records were let go of.
  for (let i = 0; i < 150; i++) {
    const uuid = `{00000000-0000-4000-8000-${String(i).padStart(12, '0')}}`;
    await store.set(kvKey('activity', uuid), { lastEventKey: 'repo:push', lastEventAt: new Date(realNow()).toISOString(), lastDeliveredAt: realNow() });
  }
  moveClock(10 * DAY);
  const left = () => sb.host.kvs.keys('activity:').filter((key) => !kept.includes(key)).length;
  const queries: number[] = [];
  const leftAfter: number[] = [];
  for (let tick = 0; tick < 20 && left() > 0; tick++) {
    sb.host.resetStorageStats();
    await reconcileNow(sb);
    // Nothing else in the tick lists them.
    queries.push(sb.host.storageStats().keys['activity:']?.query ?? 0);
    leftAfter.push(left());
  }
  expect(leftAfter[0]).toBeGreaterThan(0);
  expect(left()).toBe(0);
  expect(Math.max(...queries)).toBeLessThanOrEqual(5);
  expect(sb.host.kvs.keys('activity:')).toEqual(kept);
}, 120_000);

it("does not take a deleted branch back to the tip kept under its folded name from before names got keys of their own", async () => {
  const repo = repositories()[0]!;
  const a = sb.simulator.actions;
  const name = 'feature/Folded-Name';
  // After the tests above, whose reconciliation passes moved the clock 10 days on.
  moveClock(20 * DAY);
  a.createBranch({ repository: repo.slug, name });
  await sb.settle();
  // As an installation from before names got keys of their own kept it: under the folded name, 400 days.
  const { store } = hostStores(sb.host);
  await store.set(kvKey('ref', repo.uuid, 'branch', name), await sb.host.kvs.get(refStateKey(repo.uuid, 'branch', name)), { ttlSeconds: 400 * 24 * 3600 });
  a.deleteBranch({ repository: repo.slug, name });
  await sb.settle();
  a.pushCommits({ repository: repo.slug, commits: 2 });
  await sb.settle();
  moveClock(120 * DAY);
  a.createBranch({ repository: repo.slug, name });
  await sb.settle();
  await reconcileNow(sb);
  // Made, deleted, made again: the reconciliation finds nothing the live events did not send.
  const pushes = sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push' && JSON.stringify(d.body).includes(`"name":"${name}"`));
  expect(pushes).toHaveLength(3);
}, 60_000);
