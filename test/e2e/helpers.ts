import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox';
import type { HostLogLine } from '../../src/sandbox/forge-host';
import type { ForgeEvent } from '../../src/sandbox/cloud-sim';
import { hostStores } from '../../src/sandbox/host-store';
import { outboxStore } from '../../src/core/deliver/outbox';
import { settingsStore } from '../../src/core/config/settings';

// Sandboxes for end-to-end tests: real simulator, receiver and local Forge host on loopback, with time
// compressed (queue delays, retries) and a movable simulator clock.

export interface TestSandbox extends Sandbox {
  logs: HostLogLine[];
  fired: ForgeEvent[];
  /** Moves the simulator's clock forward (Forge only reports comment edits after ten minutes). */
  advance(ms: number): void;
  /** Sets the simulator's clock: what Bitbucket does next is dated from `at` on (never before what it did last). */
  setClock(at: number): void;
  outbox(): ReturnType<typeof outboxStore>;
}

/**
 * PanDev's time to answer in a test that counts duplicates or POSTs: a loaded CI machine stalling past
 * the default 400 ms makes the app retry a POST PanDev already took, as the delivery contract allows.
 */
export const PATIENT_PANDEV_MS = 5000;

export async function testSandbox(options: SandboxOptions = {}): Promise<TestSandbox> {
  let offset = 0;
  const logs: HostLogLine[] = [];
  const fired: ForgeEvent[] = [];
  const sandbox: Sandbox = await startSandbox({
    timeScale: 0.001,
    ...options,
    simulator: { seed: 'e2e', repositories: 3, rateLimitPerHour: 0, clock: { now: () => Date.now() + offset }, ...options.simulator },
    // Real retry delays (30 s doubling to 15 min), compressed by timeScale; attempt timeouts stay real.
    // 400 ms keeps a test of PanDev not answering quick; a test that counts sets PATIENT_PANDEV_MS.
    tuning: { deliveryTimeoutMs: 400, ...options.tuning },
    logger: (line) => logs.push(line),
  });
  sandbox.simulator.onEvent((event) => fired.push(event));
  // A live view: `host` is replaced when the test restarts it.
  return Object.assign(sandbox, {
    logs,
    fired,
    advance: (ms: number) => void (offset += ms),
    setClock: (at: number) => void (offset = at - Date.now()),
    outbox: () => outboxStore(hostStores(sandbox.host).store),
  });
}

/**
 * One repository, Bitbucket's clock three hours back and the app activated before that: minutes pass
 * in Bitbucket without waiting, and what the figures read is all in the past.
 */
export async function backdatedSandbox(options: Pick<SandboxOptions, 'liveEvents'> = { liveEvents: false }): Promise<TestSandbox> {
  const sb = await testSandbox({ ...options, scheduledTriggers: false, simulator: { repositories: 1 } });
  const { store, secrets } = hostStores(sb.host);
  const settings = settingsStore(store, secrets);
  await settings.saveConnection({ ...(await settings.connection())!, activatedAt: Date.now() - 4 * 3_600_000 });
  sb.setClock(Date.now() - 3 * 3_600_000);
  return sb;
}

/** The reconciliation's state of each repository it has passed (its watermark, its last pass). */
export function reconcilePasses(sb: TestSandbox): string[] {
  return sb.host.kvs.keys('reconcile:repo:');
}

/** Makes every repository due, as if its period had passed, and runs the five-minute tick. */
export async function reconcileNow(sb: TestSandbox): Promise<void> {
  for (const key of reconcilePasses(sb)) await sb.host.kvs.set(key, { ...((await sb.host.kvs.get(key)) as object), lastPassAt: 0 });
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
}

/** For tests that give the app the Forge events themselves (`liveEvents: false`): to hold one back, or reorder them. */
export function manualEvents(sb: () => TestSandbox) {
  return {
    /** Runs a step in the simulator and returns the Forge events it fired, not yet given to the app. */
    act(step: () => unknown): ForgeEvent[] {
      const events: ForgeEvent[] = [];
      const off = sb().simulator.onEvent((event) => events.push(event));
      try {
        step();
      } finally {
        off();
      }
      return events;
    },
    async fire(events: ForgeEvent[]): Promise<void> {
      for (const event of events) await sb().host.fireEvent(event as never);
      await sb().settle();
    },
  };
}

/**
 * For the reconciliation's time-keeping tests: no live events, the tick run by the test, and the
 * consumer's limit scaled to a fifth (24 s), where the host stops a function as Forge does.
 * `maxPlatformRetries`: the redeliveries of an event before the host drops it (Forge counts none, it
 * retries for a day). A consumer short of time hands its deliveries back as its own retry, which a
 * loaded machine does more often: a test that waits for its deliveries gives plenty, or the dropped
 * ones wait in the outbox for a sweep the test does not run.
 */
export function shortLimitSandbox(seed: string, repositories: number, maxPlatformRetries: number): Promise<TestSandbox> {
  return testSandbox({
    liveEvents: false,
    scheduledTriggers: false,
    functionTimeoutScale: 0.2,
    maxPlatformRetries,
    tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS },
    simulator: { seed, repositories, rateLimitPerHour: 0 },
  });
}

/**
 * PanDev refusing every delivery for good (a 400 each, this delivery's own fault): how a test makes
 * dead letters. A refused token would pause deliveries instead (test/e2e/token-refused.test.ts).
 */
export function refuseDeliveries(sb: Pick<TestSandbox, 'sink'>): void {
  sb.sink.respondNext(400, 1_000_000, 'this payload is refused');
}

/**
 * PanDev refusing the app's ingest token (a 401 to every request, Check connection's too), as when it
 * was revoked in PanDev: deliveries pause and stay in the outbox, none a dead letter.
 */
export function refuseToken(sb: Pick<TestSandbox, 'sink'>): void {
  sb.sink.respondNext(401, 1_000_000, 'invalid or revoked ingest token');
}

/** PanDev taking deliveries again, the cause fixed (the refused payloads, the refused token). */
export function acceptDeliveries(sb: Pick<TestSandbox, 'sink'>): void {
  sb.sink.respondNormally();
}
