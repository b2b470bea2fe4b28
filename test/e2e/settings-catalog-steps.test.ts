import type { TestSandbox } from './helpers';
import { data, largeWorkspace, loadAll, settingsCaller } from './settings-helpers';

// A workspace too large, behind a Bitbucket too slow, for its repository list to be read within one
// resolver call. Here the host stops a function at 0.4 of its limit (25 s → 10 s), as Forge does at
// 25 s; 2,000 repositories at 2.5 s a page take far longer than that in one call. The page reads the
// list in steps, each its own call, until every repository is there.

let sb: TestSandbox;
let slowList: (latencyMs: number) => string;
let listed: () => number;
beforeAll(async () => ({ sb, slowList, listed } = await largeWorkspace()), 60_000);
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);

it('reads the list in steps that each end inside the resolver time limit, and then has every repository', async () => {
  slowList(2500);
  const before = listed();
  const { answers, last } = await loadAll(call, { limit: 100 });
  // Each page once, 100 repositories at a time, however many calls it took.
  expect(listed() - before).toBe(20);
  expect(sb.logs.filter((line) => /ran past its .* timeout/.test(line.message)).map((line) => line.message)).toEqual([]);
  expect(answers.length).toBeGreaterThan(1);
  // Progress only grows, against Bitbucket's count of the whole list.
  const loaded = answers.flatMap((a) => (a.loading ? [a.loading.loaded] : []));
  expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
  expect(answers[0]!.loading!.total).toBe(2000);
  expect(last.total).toBe(2000);
  expect(last.selection.repositories).toBe(2000);
  const seen = new Set<string>();
  for (let offset = 0; offset < last.total; offset += 100) {
    for (const repository of data(await call('repositories/list', { offset, limit: 100 })).items) seen.add(repository.uuid);
  }
  expect(seen.size).toBe(2000);
}, 180_000);
