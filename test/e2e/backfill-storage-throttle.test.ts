import { expectedBackfill } from './backfill-expectations';
import { backfillRecords, backfillSandbox, missing } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// Forge refuses storage calls past an installation's quota. A refusal in the middle of a backfill
// step is that step's trouble, tried again later, not the repository's end.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterEach(() => sb.stop());

it('finishes every repository when storage refuses some of the backfill\'s writes', async () => {
  sb = await backfillSandbox({ seed: 'storage-throttle', repositories: 3 }, {}, { timeScale: 0.0001 });
  // The backfill's working data (bfdata:…) is refused three times, after the first pages are kept.
  let seen = 0;
  sb.host.throttleStorage((key) => key.startsWith('bfdata:') && ++seen > 5, 3);
  data(await call('connection/activate', {}));
  let records = await backfillRecords(sb);
  for (let i = 0; i < 400 && !(records.length && records.every((r) => r.state === 'done' || r.state === 'failed')); i++) {
    await sb.settle();
    await new Promise((resolve) => setTimeout(resolve, 25));
    records = await backfillRecords(sb);
  }
  expect(records.map((r) => r.state)).toEqual(['done', 'done', 'done']);
  expect(sb.logs.some((line) => /backfill piece interrupted/.test(line.message) && /RATE_LIMIT|Too many storage/i.test(JSON.stringify(line)))).toBe(true);
  const since = Math.min(...records.map((r) => Date.parse(r.since)));
  expect(missing(sb, expectedBackfill(sb.simulator, [...sb.simulator.model.repositories.values()], since).ids)).toEqual([]);
}, 120_000);
