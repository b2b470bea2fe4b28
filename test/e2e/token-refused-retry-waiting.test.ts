import type { OutboxEntry } from '../../src/core/deliver/outbox';
import { PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// A delivery that met PanDev down (503) just before PanDev began refusing the token waits out a retry
// planned minutes later. The check that lifts the pause sends at once only what the pause held; the
// retry keeps its planned time, and the admin is told so rather than counting it among those sent now.

let sb: TestSandbox;
// Retries 5 to 10 minutes off in the app's clock (the host's queue compresses only its own delays).
beforeAll(async () => (sb = await testSandbox({ scheduledTriggers: false, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS, baseDelaySeconds: 600, maxDelaySeconds: 900 } })));
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);

async function outboxEntries(): Promise<OutboxEntry[]> {
  return Promise.all(sb.host.kvs.keys('outbox:').map(async (key) => (await sb.host.kvs.get(key)) as OutboxEntry));
}

it('the check that lifts the pause sends what the pause held, and counts apart the delivery waiting out its retry, which keeps its planned time', async () => {
  const { simulator: sim, sink, host } = sb;
  expect(await call('connection/save', { baseUrl: sb.pandev.url, token: 'revoked-token-0000' })).toMatchObject({ ok: true });
  sink.respondNext(503, 1, 'Service Unavailable');
  for (const r of sim.model.repositories.values()) sim.actions.openPullRequest({ repository: r.slug });
  await sb.settle();

  expect(sink.rejected().map((r) => r.status)).toEqual(expect.arrayContaining([503, 401]));
  expect(sink.deliveries()).toHaveLength(0);
  const checkedAt = Date.now();
  const entries = await outboxEntries();
  const waiting = entries.filter((e) => e.nextAttemptAt > checkedAt);
  const held = entries.filter((e) => e.nextAttemptAt <= checkedAt).map((e) => e.id);
  expect(waiting).toHaveLength(1);
  expect(held.length).toBeGreaterThan(1);

  expect(await call('connection/save', { baseUrl: sb.pandev.url, token: sb.pandev.token })).toMatchObject({ ok: true });
  const resumed = data(await call('connection/check')).resumed!;
  expect(resumed).toEqual({ queued: held.length, waiting: 1, message: expect.stringMatching(new RegExp(`^Deliveries resumed: ${held.length} kept deliveries are being sent now; 1 more waits out a retry planned within (5|6|7|8|9|10|11) min, sent then\\.$`)) });
  await sb.settle();

  const sent = sink.deliveries().map((d) => d.id);
  expect(held.filter((id) => sent.filter((s) => s === id).length !== 1)).toEqual([]);
  expect(sent).not.toContain(waiting[0]!.id);
  expect(await outboxEntries()).toEqual([waiting[0]]);

  // Its planned time comes (moved here, not waited for): the outbox sweep that takes late entries sends it.
  await host.kvs.set(`outbox:${waiting[0]!.id}`, { ...waiting[0]!, nextAttemptAt: checkedAt - 3_600_000 });
  await host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(sink.deliveries().filter((d) => d.id === waiting[0]!.id)).toHaveLength(1);
  expect(sink.duplicates()).toBe(0);
  expect(host.kvs.keys('outbox:')).toEqual([]);
  expect(host.kvs.keys('dead:')).toEqual([]);
});
