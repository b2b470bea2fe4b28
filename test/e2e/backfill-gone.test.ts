import type { BackfillRecord } from '../../src/core/backfill/state';
import { settingsStore } from '../../src/core/config/settings';
import { hostStores } from '../../src/sandbox/host-store';
import { testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// A repository deleted in Bitbucket while its backfill runs: nothing is left for the admin to fix, so
// it is reported (by name) and skipped, not counted as a failure. A repository the app can no longer
// read is a failure the admin must see to.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterEach(() => sb.stop());

const records = async () => Promise.all(sb.host.kvs.keys('backfill:').map(async (key) => (await sb.host.kvs.get(key)) as BackfillRecord));
async function untilFinished(): Promise<BackfillRecord[]> {
  for (let round = 0; round < 400; round++) {
    await Promise.race([sb.settle(), new Promise((resolve) => setTimeout(resolve, 500))]);
    const rs = await records();
    if (rs.length && rs.every((r) => !['queued', 'running'].includes(r.state))) return rs;
  }
  throw new Error(`backfill stuck: ${(await records()).map((r) => r.state).join(' ')}`);
}

async function activate(): Promise<void> {
  sb = await testSandbox({ connect: false, liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, simulator: { seed: 'gone', repositories: 4, pullRequestsPerRepository: 2, historyDays: 5, rateLimitPerHour: 0 } });
  await settingsStore(hostStores(sb.host).store, hostStores(sb.host).secrets).savePreferences({ requestsPerHour: 100_000 });
  data(await call('connection/save', { baseUrl: sb.pandev.url, token: sb.pandev.token, signingSecret: sb.pandev.signingSecret }));
  data(await call('connection/check', {}));
}

it('reports a repository deleted during its backfill by name and skips it, without asking for attention', async () => {
  await activate();
  const victim = [...sb.simulator.model.repositories.values()][1]!;
  data(await call('connection/activate', {}));
  sb.simulator.actions.deleteRepository({ repository: victim.slug });
  const rs = await untilFinished();
  expect(rs.find((r) => r.repository === victim.uuid)!.state).toBe('gone');
  expect(rs.filter((r) => r.repository !== victim.uuid).map((r) => r.state)).toEqual(['done', 'done', 'done']);

  // The list is read again without it (Refresh list; the status does it every ten minutes).
  expect(data(await call('repositories/list', { refresh: true })).total).toBe(3);
  const status = data(await call('status/get'));
  expect(status).toMatchObject({ state: 'connected', reasons: [], selectedRepositories: 3, repositories: 3 });
  // The backfill counts the repositories it could do; the deleted one is noted, by its name.
  expect(status.backfill).toMatchObject({ repositories: 3, finished: 3 });
  expect(status.backfill.active).toEqual([expect.objectContaining({ repository: victim.uuid, name: victim.name, state: 'gone' })]);
  expect(status.notes).toEqual([expect.objectContaining({ severity: 'info', text: expect.stringContaining(victim.name) })]);

  // A week on, the deletion is old news: no note, no row.
  for (const key of sb.host.kvs.keys('backfill:')) {
    const record = (await sb.host.kvs.get(key)) as BackfillRecord;
    if (record.repository === victim.uuid) await sb.host.kvs.set(key, { ...record, updatedAt: Date.now() - 8 * 24 * 3_600_000 });
  }
  const later = data(await call('status/get'));
  expect({ notes: later.notes, active: later.backfill.active }).toEqual({ notes: [], active: [] });

  // A repository the admin stops forwarding leaves the backfill's counts.
  const dropped = [...sb.simulator.model.repositories.values()][0]!;
  data(await call('repositories/select', { scope: 'repositories', repositories: [dropped.uuid], selected: false }));
  expect(data(await call('status/get')).backfill).toMatchObject({ repositories: 2, finished: 2 });
}, 120_000);

it('fails the backfill of a repository the app can no longer read, and asks for attention', async () => {
  await activate();
  const victim = [...sb.simulator.model.repositories.values()][2]!;
  sb.simulator.faults.add({ path: `${victim.uuid.replace(/[{}]/g, '')}|/${victim.slug}/`, status: 403, body: '{"type":"error","error":{"message":"Forbidden"}}' });
  data(await call('connection/activate', {}));
  const rs = await untilFinished();
  expect(rs.find((r) => r.repository === victim.uuid)!.state).toBe('failed');
  const status = data(await call('status/get'));
  expect(status.state).toBe('needs-attention');
  expect(status.reasons).toContain('The backfill of 1 repository failed: see Backfill.');
}, 120_000);

it('takes a 404 from one feed of a repository that is still there for a failed step, not for a deletion', async () => {
  await activate();
  const victim = [...sb.simulator.model.repositories.values()][3]!;
  // Its deployments resource answers 404 (as for a resource a repository does not offer); the repository itself is there.
  sb.simulator.faults.add({ path: `(${victim.uuid.replace(/[{}]/g, '')}[^/]*|/${victim.slug})/deployments`, status: 404, body: '{"type":"error","error":{"message":"Resource not found"}}' });
  data(await call('connection/activate', {}));
  const rs = await untilFinished();
  const record = rs.find((r) => r.repository === victim.uuid)!;
  // Its pull requests and pushes are delivered; the deployments are left out, with the reason.
  expect(record.state).toBe('done');
  expect(record.skipped).toEqual([expect.objectContaining({ phase: 'deployments' })]);
  expect(sb.sink.deliveries().some((d) => (d.body as { repository?: { uuid?: string } }).repository?.uuid === victim.uuid)).toBe(true);
}, 120_000);

it('lets an admin deselect a repository whose backfill failed: the status stops asking, and selecting it again once access is back resumes it', async () => {
  await activate();
  const victim = [...sb.simulator.model.repositories.values()][2]!;
  const forbidden = sb.simulator.faults.add({ path: `${victim.uuid.replace(/[{}]/g, '')}|/${victim.slug}/`, status: 403, body: '{"type":"error","error":{"message":"Forbidden"}}' });
  data(await call('connection/activate', {}));
  expect((await untilFinished()).find((r) => r.repository === victim.uuid)!.state).toBe('failed');

  // The app is not meant to read it: deselected, it no longer needs attention.
  data(await call('repositories/select', { scope: 'repositories', repositories: [victim.uuid], selected: false }));
  const status = data(await call('status/get'));
  expect({ state: status.state, reasons: status.reasons }).toEqual({ state: 'connected', reasons: [] });
  expect(status.backfill.active.map((row) => row.repository)).not.toContain(victim.uuid);

  // Access given back and selected again: its backfill runs to the end.
  sb.simulator.faults.remove(forbidden);
  expect(data(await call('repositories/select', { scope: 'repositories', repositories: [victim.uuid], selected: true })).backfill.requested).toBe(1);
  const record = (await untilFinished()).find((r) => r.repository === victim.uuid)!;
  expect({ state: record.state, done: record.done }).toEqual({ state: 'done', done: record.total });
  expect(data(await call('status/get')).state).toBe('connected');
}, 120_000);
