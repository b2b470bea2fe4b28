import type { Page, Route } from 'playwright-core';
import { browserSandbox, RESOLVER, type BrowserSandbox } from './helpers';

// The page refreshes at the pace the status asks for: every 15 s, and once a minute while a status
// call is costly (thousands of backfill records, see core/admin/status.ts). The tab's clock is the
// test's: it moves the page's timers, and counts the status calls that leave the page.

let env: BrowserSandbox;
let tab: Page;
let calls = 0;
let answered = 0;
/** What the status answers are made to ask for; undefined: what the app said. */
let pace: number | undefined;

beforeAll(async () => {
  env = await browserSandbox({ simulator: { repositories: 1, pullRequestsPerRepository: 0 }, liveEvents: false });
  tab = await env.browser.newContext().then((context) => context.newPage());
  await tab.clock.install();
  await tab.route(RESOLVER, async (route: Route) => {
    const call = (route.request().postDataJSON() as { call?: { functionKey?: string } }).call;
    if (call?.functionKey !== 'status/get') return route.continue();
    calls += 1;
    const response = await route.fetch();
    const body = (await response.json()) as { result: { ok: boolean; data?: { refreshSeconds: number } } };
    if (pace !== undefined && body.result.data) body.result.data.refreshSeconds = pace;
    await route.fulfill({ response, json: body });
    answered += 1;
  });
  await tab.goto(env.page.url);
  await tab.getByTestId('selection-summary').waitFor();
});
afterAll(() => env.stop());

/**
 * Waits (in real time) for the status calls the page has made to reach `count`, and for the page to
 * have taken the last answer: the timers the test moves next must be the ones that answer set.
 */
async function callsReach(count: number): Promise<void> {
  for (let i = 0; i < 100 && (calls < count || answered < calls); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(calls).toBe(count);
  await new Promise((resolve) => setTimeout(resolve, 300));
}

it('asks for the status every 15 s, as the app says by default', async () => {
  await callsReach(1);
  await tab.clock.runFor(15_000);
  await callsReach(2);
  await tab.clock.runFor(15_000);
  await callsReach(3);
});

it('asks once a minute once the status says so, and again every 15 s when it says that', async () => {
  pace = 60;
  await tab.clock.runFor(15_000);
  await callsReach(4);
  // That answer asked for a minute: three of the old pace's refreshes pass without a call.
  await tab.clock.runFor(45_000);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(calls).toBe(4);
  await tab.clock.runFor(15_000);
  await callsReach(5);
  pace = undefined;
  await tab.clock.runFor(60_000);
  await callsReach(6);
  await tab.clock.runFor(15_000);
  await callsReach(7);
});
