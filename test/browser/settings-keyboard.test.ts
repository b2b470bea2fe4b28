import type { Page } from 'playwright-core';
import { browserSandbox, type BrowserSandbox } from './helpers';

// The settings page from the keyboard alone: Enter in a field submits its form, and after Save, Check
// or Activate the focus stays where the admin can go on from, never thrown back to the top of the page.

let env: BrowserSandbox;
let tab: Page;
beforeAll(async () => {
  env = await browserSandbox({ simulator: { repositories: 2, pullRequestsPerRepository: 0 }, liveEvents: false });
  tab = await env.open();
  await tab.getByLabel('PanDev URL').waitFor();
});
afterAll(() => env.stop());

/** What has the focus: its accessible text, or 'body' when nothing has. */
const focused = () => tab.evaluate(() => {
  const active = (globalThis as unknown as { document: { activeElement: { tagName: string; textContent: string | null } | null } }).document.activeElement;
  return !active || active.tagName === 'BODY' ? 'body' : `${active.tagName.toLowerCase()}: ${active.textContent?.trim()}`;
});

it('saves the connection with Enter in a field', async () => {
  const { sb } = env;
  await tab.getByLabel('PanDev URL').fill(sb.pandev.url);
  await tab.getByLabel('Ingest token').fill(sb.pandev.token);
  await tab.getByLabel('Signing secret').fill(sb.pandev.signingSecret);
  await tab.getByLabel('Signing secret').press('Enter');
  await tab.getByText('Saved. Check the connection').waitFor();
  await tab.getByText(`Saved, ends in ${sb.pandev.token.slice(-4)}.`).waitFor();
});

it('keeps the focus on Save and on Check connection once they are done', async () => {
  await tab.getByRole('button', { name: 'Save', exact: true }).focus();
  await tab.keyboard.press('Enter');
  await tab.getByText('Saved. Check the connection').waitFor();
  expect(await focused()).toBe('button: Save');

  await tab.getByRole('button', { name: 'Check connection' }).focus();
  await tab.keyboard.press('Enter');
  await tab.getByRole('heading', { name: 'PanDev answered 200' }).waitFor();
  expect(await focused()).toBe('button: Check connection');
});

it('moves the focus to what Activate did, as the button goes away', async () => {
  await tab.getByRole('button', { name: 'Activate' }).focus();
  await tab.keyboard.press('Enter');
  await tab.getByText('Activated.', { exact: false }).waitFor();
  expect(await focused()).toMatch(/^\w+: Activated\. Events are forwarded from now on/);
});

it('saves the advanced settings with Enter in a field', async () => {
  await tab.getByLabel('Backfill window (days)').fill('21');
  await tab.getByLabel('Backfill window (days)').press('Enter');
  await tab.getByText('Saved.', { exact: true }).waitFor();
  await tab.reload();
  await tab.getByLabel('Backfill window (days)').waitFor();
  await tab.getByLabel('Backfill window (days)').and(tab.locator('[value="21"]')).waitFor();
});
