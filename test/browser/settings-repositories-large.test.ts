import type { Page, Route } from 'playwright-core';
import { browserSandbox, RESOLVER, seriousViolations, type BrowserSandbox } from './helpers';

// A workspace whose repository list Bitbucket gives slower than one resolver call may take (here the
// host stops a function at 0.4 of Forge's limits, 25 s → 10 s; 2,000 repositories at 2.5 s a page): the
// page reads it in steps, says how far it has come, keeps what it has when a step fails and goes on
// from there, and then selects and searches over the whole list.

const LIST = '^/2\\.0/repositories/[^/]+$';

let env: BrowserSandbox;
let tab: Page;
beforeAll(async () => {
  env = await browserSandbox({ simulator: { repositories: 2000, pullRequestsPerRepository: 0, historyDays: 1 }, liveEvents: false, scheduledTriggers: false, functionTimeoutScale: 0.4 });
}, 90_000);
afterAll(() => env.stop());
const listed = () => env.sb.simulator.stats().byRoute['GET /repositories/{workspace}'] ?? 0;

// The page's steps after its first are held until the test has made Bitbucket fail: switched when the
// page showed the first step's answer, a loaded machine saw it so late that the list was read whole.
let release: () => void = () => {};
const released = new Promise<void>((resolve) => (release = resolve));
async function holdingSteps(route: Route): Promise<void> {
  const call = (route.request().postDataJSON() as { call?: { functionKey?: string; payload?: { continue?: unknown } } }).call;
  if (call?.functionKey === 'repositories/list' && call.payload?.continue !== undefined) await released;
  await route.continue();
}

it('shows how far the reading has come, keeps it when a step fails, and goes on from there', async () => {
  const { sb } = env;
  const slow = sb.simulator.faults.add({ path: LIST, latencyMs: 2500 });
  tab = await (await env.browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
  await tab.route(RESOLVER, holdingSteps);
  await tab.goto(env.page.url);
  await tab.getByTestId('repositories-loading').getByText(/^Loading repositories… [1-9][\d,]* of ~2,000$/).waitFor();
  expect(await seriousViolations(tab)).toEqual([]);

  // Bitbucket fails from now on, and the page's next step (held until now) stops on it.
  sb.simulator.faults.remove(slow);
  const failing = sb.simulator.faults.add({ path: LIST, status: 500 });
  release();
  const stopped = tab.getByText(/^Reading the repository list stopped at [\d,]+ of ~2,000\. Bitbucket is having trouble/);
  await stopped.waitFor();
  const loaded = Number(/stopped at ([\d,]+)/.exec(await stopped.innerText())![1]!.replace(/,/g, ''));
  expect(loaded).toBeGreaterThan(0);
  // What was read stays on screen beside the error.
  await tab.getByTestId('repositories-loading').getByText(`Loading repositories… ${loaded.toLocaleString('en')} of ~2,000`).waitFor();

  sb.simulator.faults.remove(failing);
  const before = listed();
  await tab.getByRole('button', { name: 'Continue loading' }).click();
  await tab.getByTestId('selection-summary').filter({ hasText: '2,000 of 2,000 repositories selected.' }).waitFor();
  // Continue read on from where the list stopped: no page read before is asked for again (a round
  // under way when Bitbucket began to fail may have been kept too, beyond what the page was told).
  expect(listed() - before).toBeLessThanOrEqual(20 - loaded / 100);
  expect(await tab.getByTestId('repositories-loading').count()).toBe(0);
  // The status counts from the whole list as soon as it is there.
  await tab.getByTestId('status').getByText('2,000 of 2,000 repositories selected').waitFor();
  expect(sb.logs.filter((line) => /ran past its .* timeout/.test(line.message)).map((line) => line.message)).toEqual([]);
}, 120_000);

it('selects and searches over the whole list once it is read', async () => {
  await tab.getByRole('button', { name: 'Deselect all', exact: true }).click();
  await tab.getByTestId('selection-summary').filter({ hasText: '0 of 2,000 repositories selected.' }).waitFor();
  expect(await tab.getByTestId('select-all-scope').count()).toBe(0);
  // A repository Bitbucket listed on its last page.
  const last = [...env.sb.simulator.model.repositories.values()].at(-1)!;
  await tab.getByLabel('Search repositories').fill(last.slug);
  // Beside a search the two buttons say they still act on the whole workspace, as the next click shows.
  await tab.getByTestId('select-all-scope').filter({ hasText: 'act on the whole workspace, not only the repositories the search shows' }).waitFor();
  const row = tab.getByTestId(`repository-${last.slug}`);
  await row.getByText(last.name, { exact: true }).click();
  await tab.getByTestId('selection-summary').filter({ hasText: '1 of 2,000 repositories selected.' }).waitFor();
  await tab.getByRole('button', { name: 'Select all', exact: true }).click();
  await tab.getByTestId('selection-summary').filter({ hasText: '2,000 of 2,000 repositories selected.' }).waitFor();
});
