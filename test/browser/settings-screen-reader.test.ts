import type { Page } from 'playwright-core';
import { browserSandbox, failingOnce, focusReaches, saveConnection, type BrowserSandbox } from './helpers';

// The settings page as a screen-reader and keyboard-only admin meets it: what an action did is
// announced (a live region holds it), and the focus goes where the admin can go on from, never to <body>.

let env: BrowserSandbox;
let tab: Page;
beforeAll(async () => {
  env = await browserSandbox({ simulator: { repositories: 3, pullRequestsPerRepository: 0 }, liveEvents: false });
  tab = await env.open();
  await tab.getByTestId('selection-summary').waitFor();
});
afterAll(() => env.stop());

const button = (name: string) => tab.getByRole('button', { name, exact: true });
const connection = () => tab.locator('section[aria-labelledby="connection-heading"]');

it('announces what Check connection found, the fix-it message included', async () => {
  const { sb } = env;
  await saveConnection(tab, { baseUrl: sb.pandev.url, token: 'revoked-token-0000', signingSecret: sb.pandev.signingSecret });
  // The region is there before the result: one that appears with its text is often not read out.
  const announced = tab.getByRole('status', { name: 'Connection check' });
  expect(await announced.count()).toBe(1);
  await button('Check connection').click();
  await announced.filter({ hasText: 'PanDev refused the ingest token (401)' }).filter({ hasText: 'The token is wrong, expired or revoked.' }).waitFor();
});

it('announces a save that failed, and moves the focus to what went wrong', async () => {
  await tab.getByLabel('PanDev URL').fill('pandev.example.com');
  await button('Save').focus();
  await tab.keyboard.press('Enter');
  await tab.getByRole('alert').filter({ hasText: 'not a URL' }).waitFor();
  await focusReaches(tab.getByLabel('PanDev URL'));

  await tab.getByLabel('PanDev URL').fill(env.sb.pandev.url);
  const error = { code: 'internal', message: 'Something went wrong: the store refused the write' };
  await failingOnce(tab, 'connection/save', { status: 200, body: { result: { ok: false, error } } }, async () => {
    await button('Save').click();
    const alert = tab.getByRole('alert').filter({ hasText: error.message });
    await alert.waitFor();
    await focusReaches(connection().getByTestId('connection-outcome'));
  });
  // Under the Connection heading, not beside it.
  await connection().getByRole('heading', { name: 'That did not work', level: 3 }).waitFor();
});

it('announces the status badge when the connection becomes active', async () => {
  const { sb } = env;
  await saveConnection(tab, { baseUrl: sb.pandev.url, token: sb.pandev.token });
  await button('Check connection').click();
  await tab.getByRole('heading', { name: 'PanDev answered 200' }).waitFor();
  await button('Activate').click();
  await tab.getByTestId('status').getByRole('status').getByText('Connected', { exact: true }).waitFor();
});

it('does not announce the last check again as the page refreshes and the check grows older', async () => {
  // A tab whose clock the test moves: the page refreshes every 15 s, and the check's age goes with it.
  const own = await env.browser.newContext().then((context) => context.newPage());
  await own.clock.install();
  await own.goto(env.page.url);
  const region = own.getByRole('status', { name: 'Connection check' });
  await region.getByRole('heading', { name: 'PanDev answered 200' }).waitFor();
  const said = await region.innerText();
  await own.clock.runFor(3 * 60_000);
  // The page did refresh, and says how old the check is now…
  await own.getByText(/^Checked [3-9] min ago/).waitFor();
  // …but what the region reads out stayed the same: a changed region is read out again.
  expect(await region.innerText()).toBe(said);
  await own.context().close();
});

it('takes the focus to the question Generate asks on an active connection, and back on Cancel', async () => {
  await button('Generate').focus();
  await tab.keyboard.press('Enter');
  await focusReaches(tab.getByRole('group', { name: 'Replace the signing secret in use?' }));
  await tab.keyboard.press('Tab');
  await tab.keyboard.press('Tab');
  await focusReaches(button('Cancel'));
  await tab.keyboard.press('Enter');
  await tab.getByTestId('replace-secret').waitFor({ state: 'detached' });
  await focusReaches(button('Generate'));
});

it('keeps the focus on a repository checkbox toggled from the keyboard, and announces the new count', async () => {
  const repository = [...env.sb.simulator.model.repositories.values()][0]!;
  const checkbox = tab.getByRole('checkbox', { name: repository.name, exact: true });
  expect(await checkbox.isChecked()).toBe(true);
  await checkbox.focus();
  await tab.keyboard.press('Space');
  await tab.getByRole('status').filter({ hasText: '2 of 3 repositories selected.' }).waitFor();
  await tab.locator('section[aria-labelledby="repositories-heading"] table[aria-busy="false"]').waitFor();
  expect(await checkbox.isChecked()).toBe(false);
  await focusReaches(checkbox);
});

it('does not drop the focus when Deselect all turns itself off', async () => {
  await button('Deselect all').focus();
  await tab.keyboard.press('Enter');
  await tab.getByRole('status').filter({ hasText: '0 of 3 repositories selected.' }).waitFor();
  await focusReaches(tab.getByTestId('selection-summary'));
});

it('moves the focus to the field a failed save of the advanced settings names', async () => {
  await tab.getByLabel('Reconciliation period (minutes)').fill('7');
  await tab.getByRole('button', { name: 'Save advanced settings' }).focus();
  await tab.keyboard.press('Enter');
  await tab.getByRole('alert').filter({ hasText: 'a multiple of 5 minutes' }).waitFor();
  await focusReaches(tab.getByLabel('Reconciliation period (minutes)'));
});
