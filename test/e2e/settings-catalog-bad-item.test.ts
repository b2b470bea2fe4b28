import { testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// One repository Bitbucket lists in an unexpected shape (a project without a name) must not cost the
// settings page the workspace's list: the others are listed and selectable, and the page says which
// one could not be listed and what to do.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ simulator: { seed: 'catalog-bad-item', repositories: 5, pullRequestsPerRepository: 0 }, liveEvents: false, scheduledTriggers: false });
});
afterAll(() => sb.stop());
afterEach(() => sb.simulator.faults.clear());
const call = settingsCaller(() => sb);
const LIST = '^/2\\.0/repositories/[^/]+$';

it('lists every other repository and names the one it could not list', async () => {
  const [bad, ...good] = [...sb.simulator.model.repositories.values()];
  sb.simulator.faults.add({ method: 'GET', path: LIST, corruptItem: { where: { slug: bad!.slug }, set: { project: { key: 'X', name: null } } } });
  const page = data(await call('repositories/list', { refresh: true, limit: 100 }));
  expect(page.items.map((r) => r.uuid).sort()).toEqual(good.map((r) => r.uuid).sort());
  expect(page.unlisted).toEqual([expect.stringMatching(new RegExp(`repository "${bad!.slug}".*unexpected shape \\(project\\.name.*report it to Atlassian`))]);
  expect(sb.logs.some((line) => /left out of the repository list/.test(line.message) && line.message.includes(bad!.slug))).toBe(true);
  // The rest of the list works: a listed repository can be selected.
  expect(data(await call('repositories/select', { scope: 'repositories', repositories: [good[0]!.uuid], selected: false })).changed).toBe(1);
});

it('checks the connection through a repository Bitbucket lists whole when the first is in an unexpected shape', async () => {
  sb.simulator.faults.add({ method: 'GET', path: LIST, corruptItem: { index: 0, set: { name: null } } });
  const check = data(await call('connection/check'));
  expect(check.repositories).toBe(5);
  expect(check.items.filter((i) => i.key !== 'pandev').map((i) => [i.key, i.status])).toEqual([['bitbucket', 'pass'], ['access', 'pass']]);
});
