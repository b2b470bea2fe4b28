import type { BackfillRecord } from '../../src/core/backfill/state';
import { expectedBackfill } from './backfill-expectations';
import { backfillRecords, backfillSandbox, missing } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// Forge does not promise to deliver a queued message: a backfill whose next piece is lost would stay
// queued or running for ever. The five-minute tick queues a new chain of pieces for every unfinished
// backfill once no piece at all has run for half an hour, and not while others are running.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
const records = () => backfillRecords(sb);
const stateOf = async (uuid: string) => (await records()).find((r) => r.repository === uuid)!.state;
const pieceOf = (uuid: string) => (body: Record<string, unknown>) => (body.backfill as { repository?: string } | undefined)?.repository === uuid;

afterEach(() => sb.stop());

it('queues the pieces of backfills whose chain was lost once the backfill has stood still for half an hour', async () => {
  sb = await backfillSandbox({ seed: 'watchdog', repositories: 3, pullRequestsPerRepository: 60 });
  const [never, halfway, healthy] = [...sb.simulator.model.repositories.values()].map((repo) => repo.uuid);
  // The first piece of one (as if Activate stopped before queueing it) and the second of another
  // (as if its consumer died before queueing it) never arrive.
  sb.host.loseEvents(pieceOf(never!));
  let halfwayPieces = 0;
  sb.host.loseEvents((body) => pieceOf(halfway!)(body) && ++halfwayPieces === 2);
  data(await call('connection/activate', {}));
  await sb.settle();
  expect([await stateOf(never!), await stateOf(halfway!), await stateOf(healthy!)]).toEqual(['queued', 'running', 'done']);
  // Activating again does not help: it is done already.
  expect(data(await call('connection/activate', {})).backfillRequested).toBe(0);

  // A piece ran just now: the tick waits (a long queue behind one at a time looks the same).
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect([await stateOf(never!), await stateOf(halfway!)]).toEqual(['queued', 'running']);

  // Half an hour on, nothing has moved: the tick queues both again, and they finish.
  for (const key of sb.host.kvs.keys('backfill:')) {
    const record = (await sb.host.kvs.get(key)) as BackfillRecord;
    await sb.host.kvs.set(key, { ...record, updatedAt: record.updatedAt - 31 * 60_000 });
  }
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  const finished = await records();
  expect(finished.map((r) => `${r.state} ${r.done}/${r.total}`)).toEqual(finished.map((r) => `done ${r.total}/${r.total}`));
  expect(sb.logs.filter((line) => /queued again/.test(line.message))).toHaveLength(1);
  expect(missing(sb, expectedBackfill(sb.simulator, [...sb.simulator.model.repositories.values()], Date.parse(finished[0]!.since)).ids)).toEqual([]);

  // Nothing left to restart: a later tick queues nothing.
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(sb.logs.filter((line) => /queued again/.test(line.message))).toHaveLength(1);
}, 120_000);

it('queues again a chain lost while other backfills kept moving, once its own record has stood still for an hour', async () => {
  sb = await backfillSandbox({ seed: 'watchdog', repositories: 2, pullRequestsPerRepository: 60 });
  const [lost, moving] = [...sb.simulator.model.repositories.values()].map((repo) => repo.uuid);
  let lostPieces = 0;
  sb.host.loseEvents((body) => pieceOf(lost!)(body) && ++lostPieces === 2);
  data(await call('connection/activate', {}));
  await sb.settle();
  expect([await stateOf(lost!), await stateOf(moving!)]).toEqual(['running', 'done']);

  // The other backfill changed just now; the lost one has not for 59 minutes: a chain may yet come.
  const age = async (minutes: number) => {
    for (const key of sb.host.kvs.keys('backfill:')) {
      const record = (await sb.host.kvs.get(key)) as BackfillRecord;
      if (record.repository === lost) await sb.host.kvs.set(key, { ...record, updatedAt: Date.now() - minutes * 60_000 });
    }
  };
  await age(59);
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(await stateOf(lost!)).toBe('running');
  expect(sb.logs.filter((line) => /queued again/.test(line.message))).toHaveLength(0);

  // An hour: no chain carries it any more (a carried record is saved at least every half hour).
  await age(61);
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(await stateOf(lost!)).toBe('done');
  expect(sb.logs.filter((line) => /queued again/.test(line.message))).toHaveLength(1);
}, 120_000);
