import type { Locator, Page } from 'playwright-core';
import { browserSandbox, seriousViolations, textContrast, type BrowserSandbox } from './helpers';

// Both Custom UI pages in Bitbucket's dark theme, as Forge shows them once a page calls
// view.theme.enable(): the theme is set on the frame's html element and the design tokens follow it.
// Text must stay readable against what is actually painted behind it (WCAG AA, 4.5:1); a colour
// written into a page instead of a token passes in light and fails here.

let env: BrowserSandbox;
beforeAll(async () => {
  env = await browserSandbox({ connect: true, simulator: { repositories: 2, pullRequestsPerRepository: 2 } });
}, 60_000);
afterAll(() => env?.stop());

/** Each element's contrast, and whether it is light text on a dark page; only the ones that fail are listed. */
async function unreadable(tab: Page, elements: Record<string, Locator>): Promise<Array<{ element: string; ratio: number; lightOnDark: boolean }>> {
  // Set by the theme's loading, after the page's first paint.
  await tab.locator('html[data-color-mode="dark"]').waitFor({ state: 'attached' });
  const found = [];
  for (const [element, locator] of Object.entries(elements)) {
    await locator.waitFor();
    const { ratio, lightOnDark } = await textContrast(locator);
    if (ratio < 4.5 || !lightOnDark) found.push({ element, ratio: Math.round(ratio * 100) / 100, lightOnDark });
  }
  return found;
}

it('shows the settings page in the dark theme, every kind of text readable on its background', async () => {
  const tab = await env.open('admin', 'dark');
  await tab.getByRole('heading', { name: 'Status' }).waitFor();
  const connection = tab.getByRole('region', { name: 'Connection' });
  expect(await unreadable(tab, {
    'page title': tab.getByRole('heading', { name: 'PanDev Metrics' }),
    'section heading': tab.getByRole('heading', { name: 'Connection' }),
    'field label': connection.getByText('PanDev URL', { exact: true }),
    'field help': connection.getByText(/The bare address of your PanDev/),
    'badge': tab.getByText('Connected', { exact: true }),
  })).toEqual([]);
  expect(await seriousViolations(tab)).toEqual([]);
}, 60_000);

it('shows the pull request card in the dark theme, every kind of text readable on its background', async () => {
  const { sb } = env;
  const repository = [...sb.simulator.model.repositories.values()][0]!.slug;
  const { pullRequestId } = sb.simulator.actions.openPullRequest({ repository, title: 'Index the audit log', commits: 1 });
  await sb.settle();
  const { mergeCommit } = sb.simulator.actions.mergePullRequest({ repository, pullRequestId });
  await sb.settle();
  sb.simulator.actions.runDeployment({ repository, environment: 'Production', commit: mergeCommit, outcome: 'SUCCESSFUL' });
  await sb.settle();

  const tab = await env.openCard(pullRequestId, { theme: 'dark' });
  await tab.getByRole('button', { name: 'What these mean' }).click();
  const pr = tab.getByRole('region', { name: 'This pull request' });
  const repo = tab.getByRole('region', { name: /Repository, last 30 days/ });
  expect(await unreadable(tab, {
    heading: tab.getByRole('heading', { name: 'This pull request' }),
    'figure name': pr.getByRole('rowheader', { name: 'Coding time' }),
    'figure value': pr.getByRole('row', { name: /Size/ }).getByRole('cell'),
    'figure not available': pr.getByRole('row', { name: /Pickup time/ }).getByRole('cell'),
    'band lozenge': repo.getByRole('img', { name: /^DORA band: / }).first().getByText(/^(Elite|High|Medium|Low)$/),
    'band note': repo.getByText(/DORA performance bands/),
    'disclosure button': tab.getByRole('button', { name: 'What these mean' }).getByText('What these mean'),
    'figure defined': tab.getByRole('term').first(),
    definition: tab.getByRole('definition').first(),
  })).toEqual([]);
  expect(await seriousViolations(tab)).toEqual([]);
}, 60_000);
