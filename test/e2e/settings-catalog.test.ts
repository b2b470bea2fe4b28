import { testSandbox, type TestSandbox } from './helpers';
import { ageCatalog, data, settingsCaller, until } from './settings-helpers';

// A large workspace's repository list takes Bitbucket many seconds to give: the page's resolvers,
// called side by side, share one walk of it, and whoever has an older copy is served that meanwhile.

let sb: TestSandbox;
beforeAll(async () => {
  // No tick: the reconciliation also lists repositories, and these tests count that listing's requests.
  sb = await testSandbox({ simulator: { repositories: 250, pullRequestsPerRepository: 0 }, connect: false, scheduledTriggers: false });
});
afterAll(() => sb.stop());
afterEach(() => sb.simulator.faults.clear());
const call = settingsCaller(() => sb);
const LIST = '^/2\\.0/repositories/[^/]+$';
const LISTING = 'GET /repositories/{workspace}';
const listed = () => sb.simulator.stats().byRoute[LISTING] ?? 0;

it('walks the list once for callers that ask at the same time', async () => {
  sb.simulator.faults.add({ path: LIST, latencyMs: 300 });
  const before = listed();
  const answers = await Promise.all([call('repositories/list', { limit: 10 }), call('status/get'), call('repositories/list', { offset: 10, limit: 10 })]);
  const [first, status, second] = [data(answers[0]), data(answers[1]), data(answers[2])];
  expect(first.total).toBe(250);
  expect(status.repositories).toBe(250);
  expect(second.fetchedAt).toBe(first.fetchedAt);
  // 250 repositories, 100 a page: three requests for one walk.
  expect(listed() - before).toBe(3);
});

it('serves the older copy while another caller reads the list again', async () => {
  const old = await ageCatalog(sb, 11 * 60_000);
  sb.simulator.faults.add({ path: LIST, latencyMs: 1000 });
  const before = listed();
  const walking = call('repositories/list', { limit: 10 });
  await until(() => listed() > before);
  // Asked while the walk runs: answered from the copy it has, without a walk of its own.
  const meanwhile = data(await call('repositories/list', { limit: 10 }));
  expect(meanwhile.fetchedAt).toBe(old);
  expect(listed() - before).toBe(1);
  const walked = data(await walking);
  expect(walked.fetchedAt).toBeGreaterThan(old);
  expect(listed() - before).toBe(3);
});
