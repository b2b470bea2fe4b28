import { expectedBackfill } from './backfill-expectations';
import { backfillRecords, backfillSandbox, missing } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// A backfill piece runs in the queue consumer, which Forge stops at its time limit (manifest.yml:
// 120 s). A step may read many pages (the "every commit" file stats read one diffstat per commit of a
// ref), so behind a slow Bitbucket one step alone can outlast the invocation. Here the limit is scaled
// to a fifth (24 s) and the host stops a function at it, as Forge does: the piece must stop between
// requests, hand its place to the next piece, and lose or repeat nothing.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterAll(() => sb.stop());

it('stops a piece between requests before the consumer is cut off, and the next piece carries on', async () => {
  sb = await backfillSandbox({ seed: 'piece-deadline', repositories: 1, pullRequestsPerRepository: 4 }, { commitStats: 'commit' }, { functionTimeoutScale: 0.2 });
  // Each commit's diffstat (a bare commit hash: not a pull request's range) answers after 700 ms.
  const slow = sb.simulator.faults.add({ path: '/diffstat/[0-9a-f]{40}$', latencyMs: 700 });
  data(await call('connection/activate', {}));
  await sb.settle();
  sb.simulator.faults.remove(slow);

  expect(sb.logs.filter((line) => /ran past its|FUNCTION_TIME_OUT/.test(line.message)).map((line) => line.message)).toEqual([]);
  const records = await backfillRecords(sb);
  expect(records.map((r) => `${r.state} ${r.error ?? ''}`.trim())).toEqual(['done']);
  expect(records[0]!.skippedCount).toBe(0);
  const expected = expectedBackfill(sb.simulator, [...sb.simulator.model.repositories.values()], Date.parse(records[0]!.since));
  expect(missing(sb, expected.ids)).toEqual([]);
  // The refs' pushes, with every commit's stats, each delivered once.
  const pushes = sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push');
  expect(pushes.length).toBeGreaterThan(0);
  expect(sb.sink.duplicates()).toBe(0);
  expect(sb.logs.some((line) => /backfill piece out of time/.test(line.message))).toBe(true);
}, 240_000);
