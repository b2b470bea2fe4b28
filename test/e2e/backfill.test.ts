import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BackfillRecord } from '../../src/core/backfill/state';
import { settingsStore } from '../../src/core/config/settings';
import { hostStores } from '../../src/sandbox/host-store';
import { expectedBackfill } from './backfill-expectations';
import { PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// Issue 4: activating starts a backfill of the last 30 days for every selected repository, read from
// the repository-wide feeds and delivered with the ids live events would have had. 50 repositories.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
const storePath = path.join(mkdtempSync(path.join(tmpdir(), 'pandev-backfill-')), 'kvs.json');

beforeAll(async () => {
  sb = await testSandbox({ connect: false, storePath, maxPlatformRetries: 50, liveEvents: false, simulator: { seed: 'backfill-50', repositories: 50, rateLimitPerHour: 0 }, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS } });
}, 60_000);
afterAll(() => sb.stop());

async function backfills(): Promise<BackfillRecord[]> {
  return Promise.all(sb.host.kvs.keys('backfill:').map(async (key) => (await sb.host.kvs.get(key)) as BackfillRecord));
}

async function untilBackfilled(): Promise<void> {
  for (let round = 0; round < 600; round++) {
    await sb.settle();
    const records = await backfills();
    if (records.length && records.every((r) => r.state === 'done' || r.state === 'failed')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('backfill did not finish');
}

it('delivers exactly the expected events, survives a restart in the middle, and a second run sends nothing new', async () => {
  // 50 repositories need a few thousand requests: more than Bitbucket's default hour, which this test
  // does not wait for (the budget has its own test).
  await settingsStore(hostStores(sb.host).store, hostStores(sb.host).secrets).savePreferences({ requestsPerHour: 100_000 });
  data(await call('connection/save', { baseUrl: sb.pandev.url, token: sb.pandev.token, signingSecret: sb.pandev.signingSecret }));
  data(await call('connection/check', {}));
  data(await call('connection/activate', {}));
  // Stop the host as if its process died once a few hundred deliveries are in, then carry on.
  await sb.sink.waitFor(300, 60_000);
  await sb.restartHost();
  await untilBackfilled();

  const records = await backfills();
  expect(records).toHaveLength(50);
  expect(records.every((r) => r.state === 'done' && r.total !== undefined && r.done === r.total)).toBe(true);
  const since = Date.parse(records[0]!.since);
  const repositories = [...sb.simulator.model.repositories.values()];
  const expected = expectedBackfill(sb.simulator, repositories, since);

  const deliveries = sb.sink.deliveries();
  expect(deliveries.every((d) => d.headers['x-pandev-origin'] === 'backfill')).toBe(true);
  const got = new Map(deliveries.filter((d) => d.eventKey !== 'repo:push').map((d) => [d.id, d]));
  const missing = [...expected.ids].filter(([id]) => !got.has(id)).map(([, what]) => what);
  const extra = [...got.values()].filter((d) => !expected.ids.has(d.id)).map((d) => `${d.eventKey} ${(d.body as any).pandev.entity}`);
  expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  expect(expected.ids.size).toBeGreaterThan(1000);
  // Pull requests merged before activation get no DORA comment, though their merges were delivered.
  expect(deliveries.some((d) => d.eventKey === 'pullrequest:fulfilled')).toBe(true);
  const appComments = repositories.flatMap((r) => [...r.pullRequests.values()].flatMap((pr) => pr.comments.filter((c) => c.userUuid === sb.simulator.model.app.uuid)));
  expect(appComments).toHaveLength(0);
  expect(sb.logs.some((line) => /no pull request comment/.test(line.message) && /merged before the app was activated/.test(line.message))).toBe(true);

  // First commits and review histories as the simulator generated them.
  const lookback = since - 7 * 86_400_000;
  for (const [entity, first] of expected.firstCommit) {
    const created = deliveries.find((d) => d.eventKey === 'pullrequest:created' && (d.body as any).pandev.entity === entity)!;
    const pandev = (created.body as any).pandev.pullrequest;
    if (first && Date.parse(first) >= lookback) expect({ entity, first: pandev.first_commit_at }).toEqual({ entity, first: first.replace('+00:00', '+00:00') });
    else expect(pandev.first_commit_at === null || pandev.first_commit_at === first).toBe(true);
  }
  for (const [entity, reviews] of expected.reviews) {
    const delivered = deliveries
      .filter((d) => (d.eventKey === 'pullrequest:approved' || d.eventKey === 'pullrequest:changes_request_created') && (d.body as any).pandev.entity.startsWith(`${entity}:reviewer:`))
      .map((d) => `${d.eventKey} ${(d.body as any).pandev.entity.split(':reviewer:')[1]}`)
      .sort();
    expect({ entity, reviews: delivered }).toEqual({ entity, reviews });
  }

  // Every branch and tag that moved in the window arrives as a push ending at its tip.
  const pushes = deliveries.filter((d) => d.eventKey === 'repo:push').map((d) => (d.body as any));
  for (const [ref, tip] of expected.refs) {
    const [uuid, type, name] = ref.split(' ');
    const push = pushes.find((b) => b.repository.uuid === uuid && b.push.changes[0].new?.name === name && b.push.changes[0].new?.type === type);
    expect({ ref, tip: push?.push.changes[0].new.target.hash }).toEqual({ ref, tip });
  }

  // A second backfill of the same window delivers nothing new.
  const before = sb.sink.deliveries().length;
  const received = sb.sink.received();
  // (A finished backfill is not repeated for the same window; to run it again, mark it stopped at
  // its start, then deselect and select everything, which resumes stopped backfills.)
  for (const key of sb.host.kvs.keys('backfill:')) {
    const record = (await sb.host.kvs.get(key)) as BackfillRecord;
    await sb.host.kvs.set(key, { ...record, state: 'cancelled', cursor: undefined, done: 0, total: undefined });
  }
  data(await call('repositories/select', { scope: 'all', selected: false }));
  data(await call('repositories/select', { scope: 'all', selected: true }));
  await untilBackfilled();
  expect((await backfills()).every((r) => r.state === 'done' && r.done === r.total)).toBe(true);
  expect(sb.sink.deliveries()).toHaveLength(before);
  expect(sb.sink.received()).toBe(received);
}, 300_000);
