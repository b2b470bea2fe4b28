import { browserSandbox, RESOLVER, type BrowserSandbox } from './helpers';

// One repository Bitbucket lists in an unexpected shape: the page lists the others, selectable, and
// says in a warning which one it could not list and what to do, instead of an error for the whole list.

let env: BrowserSandbox;
beforeAll(async () => (env = await browserSandbox({ simulator: { seed: 'unlisted-repository', repositories: 4, pullRequestsPerRepository: 0 }, liveEvents: false, scheduledTriggers: false })));
afterAll(() => env.stop());

it('shows the rest of the list and a warning naming the repository it could not list', async () => {
  const [bad, ...good] = [...env.sb.simulator.model.repositories.values()];
  env.sb.simulator.faults.add({ method: 'GET', path: '^/2\\.0/repositories/[^/]+$', corruptItem: { where: { slug: bad!.slug }, set: { slug: null } } });
  const tab = await env.open();
  await tab.getByTestId('selection-summary').waitFor();
  const warning = tab.getByTestId('repositories-unlisted');
  await warning.getByRole('heading', { name: '1 repository could not be listed' }).waitFor();
  expect(await warning.innerText()).toMatch(/unexpected shape \(slug.*report it to Atlassian support; the rest of the list works/);
  expect(await tab.getByText('Could not list the repositories').count()).toBe(0);
  for (const repository of good) await tab.getByRole('checkbox', { name: repository.name, exact: true }).waitFor();
  expect(await tab.getByText(`${good.length} of ${good.length} repositories selected.`).count()).toBe(1);
});

it('says, beside the list, that a workspace past the list\'s 20,000 repositories is not listed whole', async () => {
  // 20,100 repositories take the simulator a while to make: the list's answer is given the cut the
  // app writes for one (test/e2e/settings-catalog-cut.test.ts), and the page must show it.
  const cut = 'Bitbucket counts 20,100 repositories in this workspace; the app lists the first 20,000 …';
  const tab = await env.browser.newContext().then((context) => context.newPage());
  await tab.route(RESOLVER, async (route) => {
    if ((route.request().postDataJSON() as { call?: { functionKey?: string } }).call?.functionKey !== 'repositories/list') return route.continue();
    const response = await route.fetch();
    const body = (await response.json()) as { result: { ok: boolean; data?: Record<string, unknown> } };
    if (body.result.data) body.result.data.cut = cut;
    return route.fulfill({ response, json: body });
  });
  await tab.goto(env.page.url);
  const warning = tab.getByTestId('repositories-cut');
  await warning.getByRole('heading', { name: 'Not every repository is listed', level: 3 }).waitFor();
  expect(await warning.innerText()).toContain(cut);
  await tab.context().close();
});
