import { testSandbox, type TestSandbox } from './helpers';
import { data, loadAll, settingsCaller } from './settings-helpers';

// 3,000 repositories at almost a second a page: thirty pages in a row would outlast the 25 s a
// resolver has, so once the first page has told how many there are, the rest are read a few at a time.
// On an idle machine that fits one call; on a loaded one a call stops before its limit and says how far
// it came, and the page asks on (as here): either way each page is read once and nothing is missed.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ simulator: { repositories: 3000, pullRequestsPerRepository: 0, historyDays: 1 }, connect: false, scheduledTriggers: false });
}, 60_000);
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);
const listed = () => sb.simulator.stats().byRoute['GET /repositories/{workspace}'] ?? 0;

it('lists every repository of a large workspace once, inside the resolver time limit', async () => {
  sb.simulator.faults.add({ path: '^/2\\.0/repositories/[^/]+$', latencyMs: 900 });
  const before = listed();
  const { answers, last } = await loadAll(call, { limit: 100 });
  // Bitbucket's count is known from the first answer, whole list or not.
  expect(answers[0]!.loading?.total ?? answers[0]!.total).toBe(3000);
  expect(last.total).toBe(3000);
  expect(listed() - before).toBe(30);
  const seen = new Set<string>();
  for (let offset = 0; offset < last.total; offset += 100) {
    for (const repository of data(await call('repositories/list', { offset, limit: 100 })).items) seen.add(repository.uuid);
  }
  expect(seen.size).toBe(3000);
  expect([...sb.simulator.model.repositories.values()].filter((r) => !seen.has(r.uuid))).toEqual([]);
  expect(sb.logs.filter((line) => /ran past its .* timeout/.test(line.message)).map((line) => line.message)).toEqual([]);
}, 120_000);
