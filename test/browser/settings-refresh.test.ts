import type { Page } from 'playwright-core';
import { browserSandbox, saveConnection, type BrowserSandbox } from './helpers';

// What one part of the page changes, the others show without a reload: an activation's backfill in the
// repository list, the workspace's PR comment setting in each row, a row's own setting in Advanced.

let env: BrowserSandbox;
let tab: Page;
beforeAll(async () => {
  env = await browserSandbox({ simulator: { repositories: 3, pullRequestsPerRepository: 1 }, liveEvents: false });
  tab = await env.open();
  await tab.getByTestId('selection-summary').waitFor();
});
afterAll(() => env.stop());

const first = () => [...env.sb.simulator.model.repositories.values()][0]!;
const row = () => tab.getByTestId(`repository-${first().slug}`);

it('shows the backfill that Activate started in the repository list', async () => {
  const { sb } = env;
  expect(await row().locator('td').nth(2).innerText()).toBe('—');
  await saveConnection(tab, { baseUrl: sb.pandev.url, token: sb.pandev.token, signingSecret: sb.pandev.signingSecret });
  await tab.getByRole('button', { name: 'Check connection' }).click();
  await tab.getByRole('heading', { name: 'PanDev answered 200' }).waitFor();
  await tab.getByRole('button', { name: 'Activate' }).click();
  await tab.getByText('Activated.', { exact: false }).waitFor();
  // Queued, running or done: anything but the dash of a repository never backfilled.
  await row().locator('td').nth(2).filter({ hasText: /queued|of|done|\d/ }).waitFor({ timeout: 10_000 });
});

it('shows the workspace PR comment setting in every row once Advanced is saved', async () => {
  await tab.getByLabel('Post a DORA metrics comment on merged pull requests').uncheck();
  await tab.getByRole('button', { name: 'Save advanced settings' }).click();
  await tab.getByText('Saved.', { exact: true }).waitFor();
  await row().locator('td').nth(3).filter({ hasText: /^Off$/ }).waitFor({ timeout: 10_000 });
});

it('counts a row\'s own PR comment setting in Advanced', async () => {
  // A click, not check(): the box follows the saved setting, once the list has been read again.
  await tab.getByLabel(`PR comment for ${first().name}`).click();
  await row().getByText('own setting').waitFor();
  await tab.getByText('1 repository has its own setting', { exact: false }).waitFor({ timeout: 10_000 });
});
