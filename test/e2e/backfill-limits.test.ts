import { expectedBackfill } from './backfill-expectations';
import { backfillRecords, backfillSandbox, missing } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// Forge refuses a push past 1,000 push requests in one lineage of invocations (all that descend from
// the Activate call, say) and past 500 events a minute per installation. The local host refuses the
// same way, with lower limits here so that a test workspace reaches them: the backfill neither fails
// a repository nor loses a delivery over it. Refused links park their record; the five-minute tick,
// a lineage of its own, resumes it, and the outbox sweep queues what a refused push carried.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterEach(() => sb.stop());

const finished = async () => (await backfillRecords(sb)).every((r) => r.state === 'done' || r.state === 'failed');

/**
 * Runs the five-minute tick until the backfill has finished and the outbox is empty (at most `rounds`
 * ticks, `pauseMs` apart: a tick refused for the minute tries again at the next).
 */
async function tickUntilDelivered(rounds: number, pauseMs = 0): Promise<number> {
  for (let tick = 0; tick < rounds; tick++) {
    await sb.settle();
    if ((await finished()) && (await sb.outbox().list(undefined, 1)).entries.length === 0) return tick;
    if (tick > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    await sb.host.runScheduled('five-minute-tick');
  }
  throw new Error(`not delivered after ${rounds} ticks: ${(await backfillRecords(sb)).map((r) => `${r.state}${r.parked ? ' (parked)' : ''}`).join(', ')}`);
}

async function expectEverythingDelivered(atLeast: number): Promise<void> {
  const records = await backfillRecords(sb);
  expect(records.map((r) => `${r.state} ${r.error ?? ''}`.trim())).toEqual(records.map(() => 'done'));
  const expected = expectedBackfill(sb.simulator, [...sb.simulator.model.repositories.values()], Date.parse(records[0]!.since));
  expect(expected.ids.size).toBeGreaterThan(atLeast);
  expect(missing(sb, expected.ids)).toEqual([]);
}

it('finishes a backfill of 50 repositories in lineages of at most 100 push requests, every delivery made', async () => {
  // The sweep may queue a delivery as soon as its planned attempt has passed: a refused push's
  // deliveries are then found by the next tick, not five minutes on.
  sb = await backfillSandbox({ seed: 'limits', repositories: 50 }, { requestsPerHour: 100_000 }, { asyncEventLimits: { pushRequestsPerOrigin: 100 }, tuning: { sweepGraceSeconds: 0 } });
  data(await call('connection/activate', {}));
  const ticks = await tickUntilDelivered(200);
  const stats = sb.host.queueStats();
  // The limit was reached (the chains parked and the ticks took over), and never passed.
  expect(stats.refused.invocationLimit).toBeGreaterThan(0);
  expect(stats.peakPushesPerOrigin).toBe(100);
  expect(ticks).toBeGreaterThan(0);
  await expectEverythingDelivered(1000);
}, 240_000);

it('stays well inside Forge’s own limits: 50 repositories finish in the Activate call’s lineage alone', async () => {
  sb = await backfillSandbox({ seed: 'limits', repositories: 50 }, { requestsPerHour: 100_000 });
  data(await call('connection/activate', {}));
  expect(await tickUntilDelivered(1)).toBe(0);
  const stats = sb.host.queueStats();
  expect(stats.refused).toEqual({ invocationLimit: 0, rateLimit: 0 });
  // Each piece queues its deliveries and its successor in one push request (this took ~1,800 when each
  // pull request's deliveries were pushed on their own, and 23 of 50 repositories failed).
  expect(stats.peakPushesPerOrigin).toBeLessThan(250);
  await expectEverythingDelivered(1000);
}, 240_000);

it('resumes a backfill whose push the installation’s rate limit refused, a minute later, without the tick', async () => {
  sb = await backfillSandbox({ seed: 'rate', repositories: 3, pullRequestsPerRepository: 60 }, { requestsPerHour: 100_000 }, { tuning: { sweepGraceSeconds: 0 } });
  // The installation's other traffic is what uses a minute's 500 events up: the host refuses, as
  // Forge would then, the next three pushes of a link (a piece after another, with its deliveries).
  const link = (body: Record<string, unknown>) => ((body.backfill as { pushes?: number } | undefined)?.pushes ?? 0) > 0;
  sb.host.refusePushes('rate-limit', link, 3);
  data(await call('connection/activate', {}));
  // No tick runs: only the refused links, redelivered a (scaled) minute later, can carry their records on.
  await sb.settle();
  expect(await finished()).toBe(true);
  expect(sb.host.queueStats()).toMatchObject({ refused: { invocationLimit: 0, rateLimit: 3 } });
  expect(sb.logs.filter((line) => /backfill chain parked: the queue refused its push/.test(line.message))).toHaveLength(3);
  // The deliveries those pushes carried wait in the outbox: the sweep queues them.
  expect((await sb.outbox().list(undefined, 1)).entries.length).toBe(1);
  await tickUntilDelivered(5);
  await expectEverythingDelivered(300);
}, 120_000);
