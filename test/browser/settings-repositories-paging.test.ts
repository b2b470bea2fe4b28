import { browserSandbox, focusReaches, seriousViolations, type BrowserSandbox } from './helpers';

// The repository list a page of 50 at a time: Next and Previous move through it, and a list that
// shrinks under the page (repositories deleted in Bitbucket) leaves the admin on rows, not past them.

let env: BrowserSandbox;
beforeAll(async () => (env = await browserSandbox({ simulator: { repositories: 55, pullRequestsPerRepository: 0, historyDays: 1 }, liveEvents: false, scheduledTriggers: false })), 60_000);
afterAll(() => env.stop());

const rows = (tab: Awaited<ReturnType<BrowserSandbox['open']>>) => tab.locator('tr[data-testid^="repository-"]');

it('pages through the list, and after it shrinks on a refresh shows its last rows instead of an empty page', async () => {
  const tab = await env.open();
  await tab.getByText('1–50 of 55', { exact: true }).waitFor();
  expect(await rows(tab).count()).toBe(50);
  // By keyboard: Next, disabled on the last page it brings, hands the focus to the range it shows.
  await tab.getByRole('button', { name: 'Next', exact: true }).focus();
  await tab.keyboard.press('Enter');
  await tab.getByText('51–55 of 55', { exact: true }).waitFor();
  expect(await rows(tab).count()).toBe(5);
  await focusReaches(tab.getByTestId('page-range'));

  // Ten repositories go from Bitbucket while the admin is on the second page; Refresh list reads it again.
  for (const repository of [...env.sb.simulator.model.repositories.values()].slice(0, 10)) env.sb.simulator.actions.deleteRepository({ repository: repository.slug });
  await tab.getByRole('button', { name: 'Refresh list' }).click();
  await tab.getByText('45 repositories', { exact: false }).first().waitFor();
  await tab.getByText('1–45 of 45', { exact: true }).waitFor();
  expect(await rows(tab).count()).toBe(45);
  expect(await tab.getByRole('button', { name: 'Previous', exact: true }).isDisabled()).toBe(true);
  expect(await seriousViolations(tab)).toEqual([]);
}, 60_000);
