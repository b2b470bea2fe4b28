import type { RepositoryPage } from '../../src/contract/repositories';
import { BackfillRecord, saveBackfill } from '../../src/core/backfill/state';
import { settingsStore } from '../../src/core/config/settings';
import type { KeyValueStore } from '../../src/core/ports';
import { hostStores } from '../../src/sandbox/host-store';
import { PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// Issue 3, Repositories, Advanced and Status: paging a workspace of 230 repositories, selecting and
// deselecting (and what that does to forwarding and backfill), preferences, and the status summary.

let sb: TestSandbox;
beforeAll(async () => {
  // Selecting repositories of an activated app starts their backfill: little history and a generous
  // request budget keep those jobs short, so waiting for the app to settle stays quick.
  // PanDev's scripted 400 below must reach the app, not an attempt a loaded machine timed out first.
  sb = await testSandbox({ simulator: { repositories: 230, pullRequestsPerRepository: 0, historyDays: 1 }, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS } });
  const { store, secrets } = hostStores(sb.host);
  await settingsStore(store, secrets).savePreferences({ requestsPerHour: 100_000 });
});
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);
const LISTING = 'GET /repositories/{workspace}';
const repos = () => [...sb.simulator.model.repositories.values()];
// Whichever source finds an event first (trigger, reconciliation, backfill) delivers it, under one id.
const deliveriesFor = (uuid: string, since: number) => sb.sink.deliveries().filter((d) => d.receivedAt >= since && (d.body as any).repository?.uuid === uuid);

it('pages through the workspace grouped by project, reading Bitbucket 100 at a time, then from its cache', async () => {
  sb.simulator.resetStats();
  const first = data(await call('repositories/list', { limit: 50 }));
  expect(first).toMatchObject({ total: 230, offset: 0, nextOffset: 50, selection: { mode: 'all', selected: 230, repositories: 230 } });
  expect(first.items).toHaveLength(50);
  expect(first.projects.reduce((sum, p) => sum + p.repositories, 0)).toBe(230);
  expect(sb.simulator.stats().byRoute[LISTING]).toBeGreaterThanOrEqual(3);

  const seen = new Set<string>();
  const projectOrder: string[] = [];
  for (let offset: number | undefined = 0; offset !== undefined; ) {
    const page: RepositoryPage = data(await call('repositories/list', { offset, limit: 100 }));
    // The same cached list on every page (the reconciliation tick also lists repositories, so counting requests here would race it).
    expect(page.fetchedAt).toBe(first.fetchedAt);
    for (const item of page.items) {
      seen.add(item.uuid);
      if (projectOrder.at(-1) !== item.project.key) projectOrder.push(item.project.key);
    }
    offset = page.nextOffset;
  }
  expect(seen.size).toBe(230);
  // Each project's repositories come together, so the page can show them under one heading.
  expect(new Set(projectOrder).size).toBe(projectOrder.length);
  expect(data(await call('repositories/list', { refresh: true })).fetchedAt).toBeGreaterThan(first.fetchedAt!);
});

it('searches names, slugs and project names, and filters by project', async () => {
  const sample = repos()[7]!;
  const found = data(await call('repositories/list', { search: sample.slug.toUpperCase() }));
  expect(found.items.map((i) => i.uuid)).toContain(sample.uuid);
  expect(found.items.every((i) => `${i.name} ${i.slug}`.toLowerCase().includes(sample.slug))).toBe(true);
  const project = data(await call('repositories/list', { project: sample.projectKey, limit: 100 }));
  expect(project.total).toBe(repos().filter((r) => r.projectKey === sample.projectKey).length);
  expect(project.items.every((i) => i.project.key === sample.projectKey)).toBe(true);
  expect(await call('repositories/list', { limit: 500 })).toMatchObject({ ok: false, error: { field: 'limit', message: 'limit: at most 100 per page' } });
});

it('selects by project and repository; a deselected repository stops forwarding and loses its backfill', async () => {
  const none = data(await call('repositories/select', { scope: 'all', selected: false }));
  expect(none).toMatchObject({ selection: { mode: 'selected', selected: 0 }, changed: 230 });
  const projectKey = repos()[0]!.projectKey;
  const inProject = repos().filter((r) => r.projectKey === projectKey);
  const [dropped, kept] = inProject as [(typeof inProject)[number], (typeof inProject)[number]];
  // A backfill under way (as its chain of pieces would have it; none is, and the five-minute tick
  // restarts a chain only after half an hour of stillness), so its cancellation cannot race a piece.
  const now = Date.now();
  await saveBackfill(hostStores(sb.host).store, BackfillRecord.parse({ repository: dropped.uuid, state: 'queued', windowDays: 30, since: new Date(now - 30 * 86_400_000).toISOString(), requestedAt: now, chain: 'elsewhere', updatedAt: now }));
  const picked = data(await call('repositories/select', { scope: 'project', project: projectKey, selected: true }));
  expect(picked).toMatchObject({ selection: { selected: inProject.length }, changed: inProject.length, backfill: { requested: inProject.length - 1 } });

  const deselected = data(await call('repositories/select', { scope: 'repositories', repositories: [dropped.uuid], selected: false }));
  expect(deselected).toMatchObject({ selection: { selected: inProject.length - 1 }, changed: 1, backfill: { cancelled: 1 } });
  const record = await sb.host.kvs.get(sb.host.kvs.keys('backfill:').find((k) => k.endsWith(dropped.uuid.slice(1, -1)))!);
  expect(record).toMatchObject({ state: 'cancelled' });

  // Work queued before the change (a reconciliation batch planned a moment ago) finishes first.
  await sb.settle();
  const since = Date.now();
  sb.simulator.actions.openPullRequest({ repository: dropped.slug });
  sb.simulator.actions.openPullRequest({ repository: kept.slug });
  await sb.settle();
  expect(deliveriesFor(kept.uuid, since).map((d) => d.eventKey)).toContain('pullrequest:created');
  expect(deliveriesFor(dropped.uuid, since)).toEqual([]);

  const all = data(await call('repositories/select', { scope: 'all', selected: true }));
  // The cancelled backfill resumes; every other repository outside the project gets its first.
  expect(all).toMatchObject({ selection: { mode: 'all', selected: 230 }, changed: 230 - inProject.length + 1, backfill: { requested: 230 - inProject.length + 1 } });
  // Selecting all is one write; older marks are cleared, not left to pile up.
  expect(sb.host.kvs.keys('selected:')).toEqual([]);
  const page = data(await call('repositories/list', { search: dropped.slug }));
  expect(page.items.find((i) => i.uuid === dropped.uuid)).toMatchObject({ selected: true, backfill: { state: expect.stringMatching(/^(queued|running|done)$/) } });
  expect(await call('repositories/select', { scope: 'project', project: 'NOPE', selected: true })).toMatchObject({ ok: false, error: { code: 'not-found', field: 'project' } });
});

it('lets the trigger decide with at most two store reads per event', async () => {
  const { store, secrets } = hostStores(sb.host);
  let reads = 0;
  const counting: KeyValueStore = { ...store, get: (key) => (reads++, store.get(key)) };
  const uuid = repos()[3]!.uuid;
  data(await call('repositories/select', { scope: 'repositories', repositories: [uuid], selected: false }));
  expect(await settingsStore(counting, secrets).isSelected(uuid)).toBe(false);
  expect(reads).toBeLessThanOrEqual(2);
  data(await call('repositories/select', { scope: 'repositories', repositories: [uuid], selected: true }));
});

it('saves preferences and per-repository PR comment overrides, naming the field of a bad value', async () => {
  expect(data(await call('preferences/get'))).toEqual({ prComments: true, backfillDays: 30, reconcileMinutes: 15, commitStats: 'pullrequest', backfillBuildStatuses: false, overrides: 0 });
  expect(await call('preferences/save', { backfillDays: 0 })).toMatchObject({ ok: false, error: { field: 'backfillDays', message: 'backfillDays: between 1 and 365 days' } });
  expect(await call('preferences/save', { reconcileMinutes: 7 })).toMatchObject({ ok: false, error: { field: 'reconcileMinutes', message: expect.stringMatching(/multiple of 5/) } });
  expect(data(await call('preferences/save', { prComments: false, backfillDays: 90, backfillBuildStatuses: true }))).toMatchObject({ prComments: false, backfillDays: 90, reconcileMinutes: 15, backfillBuildStatuses: true });
  expect((await settingsStore(hostStores(sb.host).store, hostStores(sb.host).secrets).preferences()).backfillBuildStatuses).toBe(true);
  const repo = repos()[5]!;
  expect(data(await call('preferences/override', { repository: repo.uuid, prComments: true }))).toMatchObject({ overrides: 1 });
  const row = data(await call('repositories/list', { search: repo.slug })).items.find((i) => i.uuid === repo.uuid);
  expect(row?.prComments).toEqual({ value: true, overridden: true });
  expect(data(await call('preferences/override', { repository: repo.uuid, prComments: null }))).toMatchObject({ overrides: 0 });
  expect(await call('preferences/override', { repository: '{00000000-0000-4000-8000-000000000000}', prComments: true })).toMatchObject({ ok: false, error: { code: 'not-found', field: 'repository' } });
  data(await call('preferences/save', { prComments: true, backfillDays: 30, backfillBuildStatuses: false }));
});

it('summarises status: badge, selected count, last sync, last 24 hours, dead letters, backfill', async () => {
  const repo = repos()[9]!;
  sb.simulator.actions.openPullRequest({ repository: repo.slug });
  await sb.settle();
  const status = data(await call('status/get'));
  expect(status).toMatchObject({ state: 'connected', reasons: [], selectedRepositories: 230, repositories: 230, lastSync: { at: expect.any(Number) }, deadLetters: { count: 0 } });
  expect(status.deliveries.delivered).toBe(sb.sink.deliveries().length);
  expect(status.deliveries.droppedBy['repository-not-selected']).toBeGreaterThanOrEqual(1);
  expect(status.backfill.repositories).toBe(230);
  expect(status.backfill.active.length).toBeLessThanOrEqual(20);
  const row = data(await call('repositories/list', { search: repo.slug })).items.find((i) => i.uuid === repo.uuid);
  // The reconciliation (its five-minute tick runs in milliseconds here) may be the newer of the two.
  expect(row?.lastEvent).toMatchObject({ key: expect.any(String), deliveredAt: expect.any(Number) });
  expect(status.lastSync!.at).toBeGreaterThanOrEqual(row!.lastEvent!.deliveredAt);

  await sb.host.kvs.set('reconcile:last', { finishedAt: Date.now() + 60_000 });
  sb.sink.respondNext(400, 1, 'unsupported payload version');
  sb.simulator.actions.openPullRequest({ repository: repo.slug });
  await sb.settle();
  const after = data(await call('status/get'));
  expect(after).toMatchObject({ state: 'needs-attention', lastSync: { source: 'reconciliation' }, deadLetters: { count: 1, more: false } });
  expect(after.reasons).toEqual([expect.stringMatching(/^1 delivery could not be delivered: see Dead letters/)]);
});
