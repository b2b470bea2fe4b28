import { PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// A token rotated in PanDev before the new one is saved here: PanDev refuses every delivery with 401.
// That is the configuration's fault, not the deliveries': they pause and stay in the outbox (none is a
// dead letter to find and replay), and the page's Check connection, once the new token is saved, sends them
// at once: the admin who fixed the token sees them arrive, not after the next outbox sweep.

let sb: TestSandbox;
// No scheduled trigger runs: the five-minute tick's sweep is not what delivers the kept ones.
beforeAll(async () => (sb = await testSandbox({ scheduledTriggers: false, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS } })));
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);

it('pauses on a refused token with what to change, keeps every delivery, and the check that passes with the new token delivers each exactly once, with no outbox sweep', async () => {
  const { simulator: sim, sink, host } = sb;
  expect(await call('connection/save', { baseUrl: sb.pandev.url, token: 'revoked-token-0000' })).toMatchObject({ ok: true });
  const slugs = [...sim.model.repositories.values()].map((r) => r.slug);
  const opened = slugs.map((repository) => sim.actions.openPullRequest({ repository }).pullRequestId);
  await sb.settle();

  expect(sink.rejected().map((r) => r.status)).toContain(401);
  expect(sink.deliveries()).toHaveLength(0);
  expect(host.kvs.keys('dead:')).toEqual([]);
  const kept = host.kvs.keys('outbox:').map((key) => key.slice('outbox:'.length));
  // Each pull request's opening, and the push of its branch.
  expect(kept.length).toBeGreaterThanOrEqual(opened.length);
  const paused = data(await call('connection/get')).disabled;
  expect(paused).toMatchObject({ cause: 'token', reason: expect.stringMatching(/PanDev refused the ingest token \(401\).*create a new one in PanDev and save it in the app's settings; deliveries are paused and kept in the outbox until Check connection passes in the settings/) });
  expect(data(await call('status/get'))).toMatchObject({ state: 'needs-attention', reasons: expect.arrayContaining([paused!.reason]) });

  expect(await call('connection/save', { baseUrl: sb.pandev.url, token: sb.pandev.token })).toMatchObject({ ok: true });
  const check = data(await call('connection/check'));
  expect(check.ok).toBe(true);
  expect(check.resumed).toEqual({ queued: kept.length, message: `Deliveries resumed: ${kept.length} kept deliveries are being sent now.` });
  const view = data(await call('connection/get'));
  expect(view.disabled).toBeUndefined();
  expect(view.lastCheck?.resumed?.queued).toBe(kept.length);
  await sb.settle();

  const created = sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created');
  expect(created.map((d) => (d.body as { pullrequest: { id: number } }).pullrequest.id).sort()).toEqual([...opened].sort());
  const sent = sink.deliveries().map((d) => d.id);
  expect(kept.filter((id) => sent.filter((s) => s === id).length !== 1)).toEqual([]);
  expect(sink.duplicates()).toBe(0);
  expect(host.kvs.keys('outbox:')).toEqual([]);
  expect(host.kvs.keys('dead:')).toEqual([]);
});
