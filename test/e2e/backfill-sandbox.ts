import type { BackfillRecord } from '../../src/core/backfill/state';
import { settingsStore, type Preferences } from '../../src/core/config/settings';
import type { CloudSimulatorOptions } from '../../src/sandbox/cloud-sim';
import type { SandboxOptions } from '../../src/sandbox/sandbox';
import { hostStores } from '../../src/sandbox/host-store';
import { PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// A sandbox ready to activate, for the backfill's tests: no live events and no five-minute timer (a
// test runs the tick itself), a plentiful request budget, PanDev saved and checked.

/** `host`: further sandbox options (the host's limits, a time scale, tuning). */
export async function backfillSandbox(simulator: CloudSimulatorOptions, preferences: Partial<Preferences> = {}, host: SandboxOptions = {}): Promise<TestSandbox> {
  const sb = await testSandbox({
    connect: false, liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, ...host,
    tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS, ...host.tuning }, simulator: { rateLimitPerHour: 0, ...simulator },
  });
  await settingsStore(hostStores(sb.host).store, hostStores(sb.host).secrets).savePreferences({ requestsPerHour: 100_000, ...preferences });
  const call = settingsCaller(() => sb);
  data(await call('connection/save', { baseUrl: sb.pandev.url, token: sb.pandev.token, signingSecret: sb.pandev.signingSecret }));
  data(await call('connection/check', {}));
  return sb;
}

export async function backfillRecords(sb: TestSandbox): Promise<BackfillRecord[]> {
  return Promise.all(sb.host.kvs.keys('backfill:').map(async (key) => (await sb.host.kvs.get(key)) as BackfillRecord));
}

/** What the backfill should have delivered and did not, as `eventKey entity version` lines. */
export function missing(sb: TestSandbox, expected: Map<string, string>): string[] {
  const got = new Set(sb.sink.deliveries().map((d) => d.id));
  return [...expected].filter(([id]) => !got.has(id)).map(([, what]) => what);
}

/** Waits until every repository's backfill has ended (done or failed). */
export async function backfillEnded(sb: TestSandbox): Promise<void> {
  for (let round = 0; round < 400; round++) {
    await sb.settle();
    const records = await backfillRecords(sb);
    if (records.length && records.every((r) => r.state === 'done' || r.state === 'failed')) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the backfill did not finish');
}
