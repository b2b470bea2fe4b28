import type { Page } from 'playwright-core';
import { hostStores } from '../../src/sandbox/host-store';
import { browserSandbox, failingOnce, type BrowserSandbox } from './helpers';

// Errors on the settings page stay until what caused them is over: a change that failed is still
// reported after the list reloads, and a list that failed once recovers on its next good load.

let env: BrowserSandbox;
let tab: Page;
beforeAll(async () => {
  env = await browserSandbox({ simulator: { repositories: 4, pullRequestsPerRepository: 1 }, liveEvents: false });
  tab = await env.open();
  await tab.getByTestId('selection-summary').waitFor();
});
afterAll(() => env.stop());

const repositoryRow = (index: number) => {
  const repository = [...env.sb.simulator.model.repositories.values()][index]!;
  return tab.getByTestId(`repository-${repository.slug}`).getByText(repository.name, { exact: true });
};

it('keeps a failed selection change on screen after the list reloads', async () => {
  await failingOnce(tab, 'repositories/select', { status: 200, body: { result: { ok: false, error: { code: 'internal', message: 'Something went wrong: the store refused the write' } } } }, async () => {
    await repositoryRow(0).click();
    const message = tab.getByText('Something went wrong: the store refused the write');
    await message.waitFor();
    // The change is over once the table is no longer busy: the list has been read again by then.
    await tab.locator('section[aria-labelledby="repositories-heading"] table[aria-busy="false"]').waitFor();
    expect(await message.count()).toBe(1);
    expect(await tab.getByTestId('selection-summary').innerText()).toBe('4 of 4 repositories selected.');
  });
});

it('clears a failed dead-letter listing once a later one succeeds', async () => {
  await failingOnce(tab, 'deadLetters/list', { status: 500, body: { error: 'the platform was briefly unavailable' } }, async () => {
    await tab.reload();
    const message = tab.getByText('the platform was briefly unavailable', { exact: false });
    await message.waitFor();
    // Any change on the page refreshes the status, and the dead letters with it.
    await repositoryRow(1).click();
    await tab.getByTestId('selection-summary').filter({ hasText: '3 of 4 repositories selected.' }).waitFor();
    await tab.getByText('No dead letters', { exact: false }).waitFor();
    expect(await message.count()).toBe(0);
  });
});

const briefly = { status: 500, body: { error: 'the platform was briefly unavailable' } };

it('brings the Connection form back with the page\'s next refresh when its first reading failed', async () => {
  await failingOnce(tab, 'connection/get', briefly, async () => {
    await tab.reload();
    await tab.getByRole('heading', { name: 'Could not load the connection', level: 3 }).waitFor();
    // Any change on the page refreshes it, as its timer does.
    await repositoryRow(2).click();
    await tab.getByTestId('selection-summary').filter({ hasText: '2 of 4 repositories selected.' }).waitFor();
    await tab.getByLabel('PanDev URL').waitFor();
    expect(await tab.getByRole('heading', { name: 'Could not load the connection' }).count()).toBe(0);
  });
});

it('brings the Advanced settings back with the page\'s next refresh when their first reading failed', async () => {
  await failingOnce(tab, 'preferences/get', briefly, async () => {
    await tab.reload();
    const message = tab.locator('section[aria-labelledby="advanced-heading"]').getByText('the platform was briefly unavailable', { exact: false });
    await message.waitFor();
    await repositoryRow(2).click();
    await tab.getByTestId('selection-summary').filter({ hasText: '3 of 4 repositories selected.' }).waitFor();
    await tab.getByLabel('Backfill window (days)').waitFor();
    expect(await message.count()).toBe(0);
  });
});

it('reads the repository list again, with Try again or the page\'s next refresh, when its first reading failed', async () => {
  const section = tab.locator('section[aria-labelledby="repositories-heading"]');
  const failed = section.getByRole('heading', { name: 'Could not list the repositories', level: 3 });
  await failingOnce(tab, 'repositories/list', briefly, async () => {
    await tab.reload();
    await failed.waitFor();
    await section.getByRole('button', { name: 'Try again' }).click();
    await tab.getByTestId('selection-summary').waitFor();
    expect(await failed.count()).toBe(0);
  });
  await failingOnce(tab, 'repositories/list', briefly, async () => {
    await tab.reload();
    await failed.waitFor();
    // Any change on the page refreshes it, as its timer does: saving the Advanced settings here.
    const advanced = tab.locator('section[aria-labelledby="advanced-heading"]');
    await advanced.getByRole('button', { name: 'Save advanced settings' }).click();
    await tab.getByTestId('selection-summary').waitFor();
    expect(await failed.count()).toBe(0);
  });
});

it('keeps the rest of the page when the status cannot be read', async () => {
  await failingOnce(tab, 'status/get', { status: 500, body: { error: 'the platform was briefly unavailable' } }, async () => {
    await tab.reload();
    await tab.getByRole('heading', { name: 'The status could not be read', level: 3 }).waitFor();
    // The parts an admin may need to fix the cause are there all the same.
    await tab.getByLabel('PanDev URL').waitFor();
    await tab.getByTestId('selection-summary').waitFor();
    await tab.getByRole('heading', { name: 'Dead letters' }).waitFor();
  });
});

it('says why the repository counts are missing while Bitbucket rate-limits the app', async () => {
  const { sb } = env;
  // No copy of the repository list is kept, and Bitbucket refuses to read it again.
  await hostStores(sb.host).store.set('catalog:meta', { gone: true });
  sb.simulator.faults.add({ path: '^/2\\.0/repositories/[^/]+$', status: 429, body: 'Rate limit for this resource has been exceeded' });
  try {
    await tab.reload();
    await tab.getByTestId('status').getByText('The repository list could not be read, so repository counts are left out. Bitbucket is rate-limiting the app right now.', { exact: false }).waitFor();
    await tab.getByRole('heading', { name: 'Could not list the repositories', level: 3 }).waitFor();
    const page = await tab.locator('main').innerText();
    expect(page).toContain('Bitbucket is rate-limiting the app right now. Wait a few minutes and try again');
    expect(page).not.toMatch(/GET |Rate limit for this resource|The settings could not be loaded/);
  } finally {
    sb.simulator.faults.clear();
  }
});
