import type { BackfillRecord } from '../../src/core/backfill/state';
import { expectedBackfill } from './backfill-expectations';
import { backfillRecords, backfillSandbox, missing } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// PanDev pauses deliveries with a 410 (or a web page at its URL) until an admin checks the connection
// again. A backfill going on meanwhile would spend the hour's Bitbucket requests on bodies that can
// only wait in the outbox: it waits too, and carries on once the check passes.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterEach(() => sb.stop());

const appRequests = () => sb.simulator.stats().byCredential.app ?? 0;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: (rs: BackfillRecord[]) => boolean): Promise<BackfillRecord[]> {
  for (let round = 0; round < 400; round++) {
    await Promise.race([sb.settle(), pause(500)]);
    const rs = await backfillRecords(sb);
    if (rs.length && condition(rs)) return rs;
  }
  throw new Error(`backfill stuck: ${(await backfillRecords(sb)).map((r) => `${r.state}:${r.cursor?.phase ?? '-'}`).join(' ')}`);
}

it('spends no Bitbucket request while deliveries are paused, and finishes once the connection is checked again', async () => {
  sb = await backfillSandbox({ seed: 'paused', repositories: 3, pullRequestsPerRepository: 3, historyDays: 5 }, {}, { timeScale: 0.002, tuning: { sweepGraceSeconds: 0 } });
  sb.sink.respondNext(410, 1, 'gone');
  data(await call('connection/activate', {}));
  let disabled: unknown;
  for (let round = 0; round < 400 && !disabled; round++) {
    await pause(50);
    disabled = data(await call('connection/get')).disabled;
  }
  expect(disabled).toMatchObject({ reason: expect.stringMatching(/410/) });

  // Pieces under way when the pause came finish their step (on a loaded machine that can take a
  // while: wait until a second passes without a request); after that, nothing is read. A waiting
  // piece looks again every five minutes (0.6 s here), so two seconds see several of them.
  let spentWhenPaused = appRequests();
  for (let round = 0; round < 30; round++) {
    await pause(1000);
    if (appRequests() === spentWhenPaused) break;
    spentWhenPaused = appRequests();
  }
  await pause(2000);
  expect(appRequests()).toBe(spentWhenPaused);
  const waiting = await backfillRecords(sb);
  expect(waiting.map((r) => r.state)).toContain('running');

  expect(data(await call('connection/check', {})).ok).toBe(true);
  const done = await until((rs) => rs.every((r) => r.state === 'done'));
  const expected = expectedBackfill(sb.simulator, [...sb.simulator.model.repositories.values()], Date.parse(done[0]!.since));
  // What was read before the pause waited in the outbox: the check that lifted the pause sent it on.
  await until(() => missing(sb, expected.ids).length === 0);
  expect(sb.sink.duplicates()).toBe(0);
}, 120_000);
