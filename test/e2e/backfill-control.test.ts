import type { BackfillRecord } from '../../src/core/backfill/state';
import { settingsStore, type Preferences, type Tuning } from '../../src/core/config/settings';
import { hostStores } from '../../src/sandbox/host-store';
import { PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// Issue 4: the backfill works in pieces under the request budget: deselecting a repository stops its
// backfill and selecting it again resumes it; a 429 storm slows it without breaking the budget; a
// repository deleted in the middle is reported and the others finish.

let sb: TestSandbox;
const call = settingsCaller(() => sb);

// A generous delivery timeout: a retry after a slow answer under load would reach PanDev twice (it
// deduplicates), and these tests count duplicate receipts to show a resumed backfill re-sends nothing.
async function start(preferences: Partial<Preferences>, tuning: Partial<Tuning> = {}, timeScale = 0.001, scheduledTriggers = true) {
  sb = await testSandbox({ connect: false, liveEvents: false, scheduledTriggers, maxPlatformRetries: 50, timeScale, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS, ...tuning }, simulator: { seed: 'control', repositories: 10, rateLimitPerHour: 0 } });
  await settings().savePreferences(preferences);
  data(await call('connection/save', { baseUrl: sb.pandev.url, token: sb.pandev.token, signingSecret: sb.pandev.signingSecret }));
  data(await call('connection/check', {}));
}
const settings = () => settingsStore(hostStores(sb.host).store, hostStores(sb.host).secrets);
const records = async () => Promise.all(sb.host.kvs.keys('backfill:').map(async (key) => (await sb.host.kvs.get(key)) as BackfillRecord));
const appRequests = () => sb.simulator.stats().byCredential.app ?? 0;

async function until(done: (rs: BackfillRecord[]) => boolean, rounds = 400): Promise<BackfillRecord[]> {
  for (let round = 0; round < rounds; round++) {
    // A backfill waiting for its budget keeps the app busy (pieces re-queued, ticks planning): poll
    // instead of waiting for quiet.
    await Promise.race([sb.settle(), new Promise((resolve) => setTimeout(resolve, 500))]);
    const rs = await records();
    if (rs.length && done(rs)) return rs;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`backfill stuck: ${(await records()).map((r) => `${r.state}:${r.cursor?.phase ?? '-'}`).join(' ')}`);
}
const finished = (rs: BackfillRecord[]) => rs.every((r) => r.state === 'done' || r.state === 'failed' || r.state === 'gone' || r.state === 'cancelled');

afterEach(() => sb.stop());

it('waits for the budget, stops a deselected repository and resumes it when selected again', async () => {
  // 60 requests an hour: the backfill of ten repositories runs out and waits for the hour to roll.
  await start({ requestsPerHour: 60 });
  data(await call('connection/activate', {}));
  // Until the hour's requests are spent and nothing moves: no piece is half-way through a step then.
  let seen = -1;
  await until((rs) => {
    const spent = appRequests();
    const still = spent === seen;
    seen = spent;
    return still && spent >= 50 && rs.some((r) => r.state !== 'done');
  });
  expect(appRequests()).toBeLessThanOrEqual(60);
  const waiting = await records();
  expect(waiting.some((r) => r.state !== 'done')).toBe(true);
  // The time left is the work of every waiting repository at 54 planned requests an hour, the hour
  // being spent: over an hour, more than any one repository's own estimate.
  expect(waiting.some((r) => r.requests > 0)).toBe(true);
  const eta = data(await call('status/get')).backfill.etaSeconds!;
  expect(eta).toBeGreaterThan(3600);
  // No repository's own is beyond it: ten alike end together, as their pieces take turns (a minute
  // allowed for the time between the pieces saying theirs and the status now).
  expect(Math.max(...waiting.map((r) => r.etaSeconds ?? 0))).toBeLessThanOrEqual(eta + 60);
  // Each running repository's own time left counts the requests the others' pieces make in turn with
  // its own (they run one at a time): at most 60 an hour, that is at least this long. On its own
  // pace alone it said about an hour, whatever the others had left, where the whole said seven.
  const running = waiting.filter((r) => r.state === 'running' && r.requestsLeft !== undefined);
  expect(running.length).toBeGreaterThan(1);
  for (const r of running) {
    const turns = running.reduce((sum, other) => sum + Math.min(other.requestsLeft!, r.requestsLeft!), 0);
    expect(r.etaSeconds).toBeGreaterThanOrEqual((turns / 60) * 3600);
  }
  // One that has started, if one has: its cursor must survive the pause.
  const chosen = (waiting.find((r) => r.state === 'running' && r.cursor !== undefined) ?? waiting.find((r) => r.state !== 'done')!).repository;
  data(await call('repositories/select', { scope: 'repositories', repositories: [chosen], selected: false }));
  expect((await records()).find((r) => r.repository === chosen)!.state).toBe('cancelled');

  // More budget: the others finish; the deselected one does not move (a piece that was already
  // running when it was deselected keeps its progress, under the cancellation).
  await settings().savePreferences({ requestsPerHour: 100_000 });
  await until((rs) => rs.filter((r) => r.repository !== chosen).every((r) => r.state === 'done'));
  const parked = (await records()).find((r) => r.repository === chosen)!;
  expect(parked.state).toBe('cancelled');
  await sb.settle();
  const still = (await records()).find((r) => r.repository === chosen)!;
  expect(still.state).toBe('cancelled');
  expect(still.cursor).toEqual(parked.cursor);

  data(await call('repositories/select', { scope: 'repositories', repositories: [chosen], selected: true }));
  const all = await until((rs) => rs.every((r) => r.state === 'done'));
  expect(all.find((r) => r.repository === chosen)!.done).toBe(all.find((r) => r.repository === chosen)!.total);
  expect(sb.sink.duplicates()).toBe(0);
}, 120_000);

it('slows down in a 429 storm but completes without spending beyond the budget', async () => {
  // Real time here: the backoff after each 429 is real seconds (a short base keeps the test quick).
  await start({ requestsPerHour: 400 }, { rateLimitBackoffSeconds: 0.05 }, 1);
  sb.simulator.faults.add({ path: '^/2\\.0/repositories/[^/]+/[^/]+/', status: 429, body: 'Rate limit for this resource has been exceeded', probability: 0.3, times: 30 });
  data(await call('connection/activate', {}));
  const rs = await until(finished);
  expect(rs.filter((r) => r.state !== 'done').map((r) => `${r.state}: ${r.error ?? ''}`)).toEqual([]);
  expect(sb.simulator.stats().faulted).toBe(30);
  expect(sb.logs.some((line) => /backfill piece interrupted/.test(line.message))).toBe(true);
  // Planned work may use the hour minus the live reserve; every request, 429s included, counts.
  expect(appRequests()).toBeLessThanOrEqual(400);
}, 240_000);

it('reports a repository deleted in the middle and finishes the others', async () => {
  await start({ requestsPerHour: 100_000 });
  const victim = [...sb.simulator.model.repositories.values()][3]!;
  data(await call('connection/activate', {}));
  sb.simulator.actions.deleteRepository({ repository: victim.slug });
  const rs = await until(finished);
  expect(rs.find((r) => r.repository === victim.uuid)).toMatchObject({ state: 'gone', name: victim.name, error: 'deleted in Bitbucket' });
  expect(rs.filter((r) => r.repository !== victim.uuid).every((r) => r.state === 'done')).toBe(true);
}, 120_000);

it('reads every commit\'s file stats once when asked to, across pieces, and puts them on the pushes', async () => {
  await start({ requestsPerHour: 100_000, commitStats: 'commit' });
  data(await call('connection/activate', {}));
  const rs = await until(finished);
  expect(rs.every((r) => r.state === 'done')).toBe(true);
  // A record is done before its last piece's deliveries reach PanDev: wait for them.
  await sb.settle();
  const pushes = sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').map((d) => (d.body as any).pandev);
  const hashes = pushes.flatMap((p) => p.commits.map((c: { hash: string }) => c.hash));
  expect(hashes.length).toBeGreaterThan(40); // more than one piece's worth of requests
  for (const pandev of pushes) {
    expect(Object.keys(pandev.commit_stats).sort()).toEqual(pandev.commits.map((c: { hash: string }) => c.hash).sort());
    for (const stats of Object.values(pandev.commit_stats) as Array<{ files: number; lines_added: number }>) expect(stats.files).toBeGreaterThan(0);
  }
  // One diffstat per commit (and per pull request, its size), never one read twice.
  const byRoute = sb.simulator.stats().byRoute;
  const diffstats = Object.entries(byRoute).filter(([route]) => route.includes('/diffstat/')).reduce((sum, [, n]) => sum + n, 0);
  // Every pull request updated in the window has its size read, created in it or not: counted from
  // the records (those created just before the window's edge depend on how fast activation came).
  const pullRequests = rs.reduce((sum, r) => sum + (r.total ?? 0), 0);
  expect(pullRequests).toBeGreaterThanOrEqual(sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created').length);
  expect(diffstats).toBe(new Set(hashes).size + pullRequests);
}, 120_000);

it('stops a repository deselected while one of its pieces is running, keeping that piece\'s progress', async () => {
  await start({ requestsPerHour: 100_000 });
  const victim = [...sb.simulator.model.repositories.values()][2]!;
  const bare = victim.uuid.replace(/[{}]/g, '');
  // Its first request (the commit graph) answers slowly: the piece is in flight when it is deselected.
  sb.simulator.faults.add({ path: `${bare}.*/commits`, latencyMs: 1500, times: 1 });
  data(await call('connection/activate', {}));
  await new Promise((resolve) => setTimeout(resolve, 500));
  data(await call('repositories/select', { scope: 'repositories', repositories: [victim.uuid], selected: false }));
  await until((all) => all.filter((r) => r.repository !== victim.uuid).every((r) => r.state === 'done'));
  await sb.settle();
  const record = (await records()).find((r) => r.repository === victim.uuid)!;
  expect(record.state).toBe('cancelled');
  // The piece's first step (the graph) is kept; it went no further.
  expect(record.cursor?.phase).toBe('pullrequests');
}, 120_000);

it('reads each repository\'s shared feeds once, and the repository objects of all ten in one request', async () => {
  // The host's five-minute timer off: the reconciliation would read the same feeds alongside.
  await start({ requestsPerHour: 100_000, commitStats: 'pullrequest' }, {}, 0.001, false);
  sb.simulator.resetStats();
  data(await call('connection/activate', {}));
  expect((await until(finished)).every((r) => r.state === 'done')).toBe(true);
  const byRoute = sb.simulator.stats().byRoute;
  const route = (tail: string) => byRoute[`GET /repositories/{workspace}/{repo_slug}${tail}`] ?? 0;
  // No repository read on its own: the settings page's list at Activate, then one filtered listing.
  expect(route('')).toBe(0);
  expect(byRoute['GET /repositories/{workspace}']).toBe(2);
  // Branches and tags in one listing; one page of most feeds for these small repositories.
  expect([route('/refs'), route('/refs/branches'), route('/refs/tags')]).toEqual([10, 0, 0]);
  // Each deployment names its environment in the deployments answer: no environments list.
  expect([route('/pullrequests'), route('/environments'), route('/deployments')]).toEqual([10, 0, 10]);
  // The activity log: a page of 50 entries holds most of these repositories' 30 days, not all.
  expect(route('/pullrequests/activity')).toBeGreaterThanOrEqual(10);
  expect(route('/pullrequests/activity')).toBeLessThan(15);
}, 120_000);

it('names every deployment\'s environment from the deployments feed, and marks production', async () => {
  sb = await testSandbox({ connect: false, liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'x', repositories: 3, pullRequestsPerRepository: 0, historyDays: 1, rateLimitPerHour: 0 } });
  await settings().savePreferences({ requestsPerHour: 100_000 });
  data(await call('connection/save', { baseUrl: sb.pandev.url, token: sb.pandev.token, signingSecret: sb.pandev.signingSecret }));
  data(await call('connection/check', {}));
  const deploying = [...sb.simulator.model.repositories.values()].filter((repo) => repo.deployments.length > 0).length;
  expect(deploying).toBeGreaterThan(0);
  data(await call('connection/activate', {}));
  expect((await until(finished)).every((r) => r.state === 'done')).toBe(true);
  // Done before its last piece's deliveries reach PanDev: wait for them.
  await sb.settle();
  const byRoute = sb.simulator.stats().byRoute;
  expect(byRoute['GET /repositories/{workspace}/{repo_slug}/deployments']).toBe(3);
  expect(byRoute['GET /repositories/{workspace}/{repo_slug}/environments']).toBeUndefined();
  const delivered = sb.sink.deliveries().filter((d) => d.eventKey === 'pandev:deployment').map((d) => (d.body as { pandev: { deployment: { environment: { name: string | null }; is_production: boolean } } }).pandev.deployment);
  expect(delivered.length).toBeGreaterThan(0);
  expect(delivered.every((d) => d.environment.name !== null)).toBe(true);
  expect(new Set(delivered.filter((d) => d.is_production).map((d) => d.environment.name))).toEqual(new Set(['Production']));
}, 120_000);
