import type { TestSandbox } from './helpers';
import { data, largeWorkspace, settingsCaller, until } from './settings-helpers';

// The status of a workspace whose repository list takes Bitbucket many calls to give (2,000
// repositories at 2.5 s a page; the host stops a function at 0.4 of Forge's limits, 25 s → 10 s). The
// whole page waits for the status, so it takes only a short look at the list: the Repositories panel
// reads it in steps, and the counts follow once it is whole.

let sb: TestSandbox;
let slowList: (latencyMs: number) => string;
let listed: () => number;
beforeAll(async () => ({ sb, slowList, listed } = await largeWorkspace()), 60_000);
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);

it('reads at most the first page of the list when none is kept, and says the counts follow', async () => {
  slowList(2500);
  const before = listed();
  const status = data(await call('status/get'));
  expect(listed() - before).toBe(1);
  expect(status.repositories).toBeUndefined();
  expect(status.notes).toEqual([{ severity: 'info', text: expect.stringMatching(/^The repository list is being read from Bitbucket \(100 of 2,000 so far\)/) }]);
}, 60_000);

it('does not wait for a step of the reading under way for the Repositories panel', async () => {
  sb.simulator.faults.clear();
  slowList(4000);
  const before = listed();
  // The panel reads on from the first page, four pages at once.
  const step = call('repositories/list', { limit: 10 });
  await until(() => listed() > before);
  const status = data(await call('status/get'));
  // Told how far the reading has come, not made to wait for the pages under way.
  expect(status.repositories).toBeUndefined();
  expect(status.notes).toEqual([{ severity: 'info', text: expect.stringMatching(/^The repository list is being read from Bitbucket \(100 of 2,000 so far\)/) }]);
  expect(data(await step).loading).toMatchObject({ loaded: 500 });
  // The status asked Bitbucket for none of them.
  expect(listed() - before).toBe(4);
}, 60_000);
