import type { Page } from 'playwright-core';
import { settingsStore } from '../../src/core/config/settings';
import { hostStores } from '../../src/sandbox/host-store';
import { browserSandbox, type BrowserSandbox } from './helpers';

// The Advanced panel: what the backfill reads (file stats, build statuses, each with its cost), its
// window and the reconciliation period, saved for the app and shown again after a reload; a bad value
// is named at its field and nothing is saved.

let env: BrowserSandbox;
let tab: Page;
beforeAll(async () => {
  env = await browserSandbox({ simulator: { repositories: 2, pullRequestsPerRepository: 1 }, liveEvents: false });
  tab = await env.open();
  await tab.getByRole('heading', { name: 'Advanced' }).waitFor();
});
afterAll(() => env.stop());

const stored = () => settingsStore(hostStores(env.sb.host).store, hostStores(env.sb.host).secrets).preferences();

it('saves what the backfill reads and shows it again after a reload', async () => {
  await tab.getByLabel('Build statuses in the backfill').waitFor();
  expect(await tab.getByLabel('Build statuses in the backfill').isChecked()).toBe(false);
  await tab.getByRole('radio', { name: /^Every commit/ }).check();
  await tab.getByLabel('Build statuses in the backfill').check();
  await tab.getByLabel('Backfill window (days)').fill('14');
  await tab.getByRole('button', { name: 'Save advanced settings' }).click();
  await tab.getByText('Saved.', { exact: true }).waitFor();
  expect(await stored()).toMatchObject({ commitStats: 'commit', backfillBuildStatuses: true, backfillDays: 14 });

  await tab.reload();
  await tab.getByLabel('Build statuses in the backfill').waitFor();
  expect(await tab.getByLabel('Build statuses in the backfill').isChecked()).toBe(true);
  expect(await tab.getByRole('radio', { name: /^Every commit/ }).isChecked()).toBe(true);
  expect(await tab.getByLabel('Backfill window (days)').inputValue()).toBe('14');
});

it('names a bad value at its field and saves nothing', async () => {
  await tab.getByLabel('Build statuses in the backfill').uncheck();
  await tab.getByLabel('Reconciliation period (minutes)').fill('7');
  await tab.getByRole('button', { name: 'Save advanced settings' }).click();
  await tab.getByRole('alert').filter({ hasText: 'a multiple of 5 minutes' }).waitFor();
  expect(await tab.getByLabel('Reconciliation period (minutes)').getAttribute('aria-invalid')).toBe('true');
  expect(await stored()).toMatchObject({ backfillBuildStatuses: true, reconcileMinutes: 15 });
});

it("saves only what was changed on this page: another admin's save since it loaded stays", async () => {
  await tab.reload();
  await tab.getByLabel('Backfill window (days)').waitFor();
  const before = await stored();
  // Another admin, in another tab, turns the PR comment off and sets a longer reconciliation period.
  await settingsStore(hostStores(env.sb.host).store, hostStores(env.sb.host).secrets).savePreferences({ ...before, prComments: false, reconcileMinutes: 60 });
  await tab.getByLabel('Backfill window (days)').fill('21');
  await tab.getByRole('button', { name: 'Save advanced settings' }).click();
  await tab.getByText('Saved.', { exact: true }).waitFor();
  expect(await stored()).toMatchObject({ backfillDays: 21, prComments: false, reconcileMinutes: 60 });
  // And the page shows what is saved now, theirs included.
  expect(await tab.getByLabel('Reconciliation period (minutes)').inputValue()).toBe('60');
});
