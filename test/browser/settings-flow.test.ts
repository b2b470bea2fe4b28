import type { Page } from 'playwright-core';
import { data, settingsCaller } from '../e2e/settings-helpers';
import { browserSandbox, saveConnection, screenshot, seriousViolations, type BrowserSandbox } from './helpers';

// Issue 3, the admin's whole journey offline, in a real browser: connect PanDev, check, activate,
// pick repositories, watch deliveries arrive; a deselected repository's next event goes nowhere.

let env: BrowserSandbox;
let tab: Page;
const call = settingsCaller(() => env.sb);
beforeAll(async () => {
  env = await browserSandbox({ simulator: { repositories: 6, pullRequestsPerRepository: 2 } });
  tab = await env.open();
});
afterAll(() => env.stop());

it('starts disconnected, with nothing to activate yet', async () => {
  await tab.getByText('Disconnected', { exact: true }).waitFor();
  expect(await tab.getByRole('button', { name: 'Activate' }).isDisabled()).toBe(true);
});

it('checks the connection: workspace, identity, repositories, and PanDev taking the token', async () => {
  const { sb } = env;
  await saveConnection(tab, { baseUrl: sb.pandev.url, token: sb.pandev.token, signingSecret: sb.pandev.signingSecret });
  // Secrets are write-only: the fields are empty again and only the last four characters show.
  expect(await tab.getByLabel('Ingest token').inputValue()).toBe('');
  await tab.getByText(`Saved, ends in ${sb.pandev.token.slice(-4)}.`).waitFor();
  expect(await tab.content()).not.toContain(sb.pandev.token);

  await tab.getByRole('button', { name: 'Check connection' }).click();
  await tab.getByText(`The app acts as PanDev Metrics in ${sb.simulator.workspace.slug} and can read 6 repositories.`).waitFor();
  await tab.getByRole('heading', { name: 'PanDev answered 200' }).waitFor();
  await tab.getByRole('heading', { name: 'Full read access' }).waitFor();
});

it('activates, and the badge turns Connected', async () => {
  await tab.getByRole('button', { name: 'Activate' }).click();
  await tab.getByText('Activated. Events are forwarded from now on; backfill requested for 6 repositories.').waitFor();
  await tab.getByText('Connected', { exact: true }).waitFor();
  // The check that allowed it no longer invites an activation that has happened.
  const check = tab.getByTestId('check-results');
  await check.getByText('Passed.', { exact: true }).waitFor();
  expect(await check.innerText()).not.toContain('activate');
});

it('deselects a repository: its next event does not reach PanDev, the others do', async () => {
  const { sb } = env;
  const [dropped, kept] = [...sb.simulator.model.repositories.values()];
  await tab.getByTestId(`repository-${dropped!.slug}`).getByText(dropped!.name, { exact: true }).click();
  await tab.getByTestId('selection-summary').filter({ hasText: '5 of 6 repositories selected.' }).waitFor();
  // The backfill that activation started, and anything queued before the change, finish first.
  await sb.settle();
  const since = Date.now();
  sb.simulator.actions.openPullRequest({ repository: dropped!.slug });
  sb.simulator.actions.openPullRequest({ repository: kept!.slug });
  await sb.settle();
  const arrived = sb.sink.deliveries().filter((d) => d.receivedAt >= since);
  expect(arrived.filter((d) => (d.body as any).repository.uuid === kept!.uuid).map((d) => d.eventKey)).toContain('pullrequest:created');
  expect(arrived.filter((d) => (d.body as any).repository.uuid === dropped!.uuid)).toEqual([]);
});

it('shows the deliveries that arrived, each repository\'s last event, and backfill progress', async () => {
  const { sb } = env;
  await tab.reload();
  expect(sb.sink.deliveries().length).toBeGreaterThan(0);
  await tab.getByTestId('deliveries').filter({ hasText: /[1-9]\d* delivered/ }).waitFor();
  await tab.getByText('Last sync').waitFor();
  const kept = [...sb.simulator.model.repositories.values()][1]!;
  // In words, not the webhook key: the pull request opened last, or the push of its branch.
  const lastEvent = tab.getByTestId(`repository-${kept.slug}`).getByText(/^(pull request created|push), (just now|\d+ (min|h|d) ago)$/);
  await lastEvent.waitFor();
  // When the change happened and when PanDev last got one can differ (a replay): the detail says both.
  expect(await lastEvent.getAttribute('title')).toMatch(/^Happened .+, found by (trigger|reconciliation|backfill)\. Last delivery to PanDev .+\.$/);
  await screenshot(tab, 'settings-page.png');
});

it('says why events were dropped, and what a finished backfill counted, in words', async () => {
  // The deselected repository's pull request was dropped by the pipeline as `repository-not-selected`.
  await tab.getByTestId('deliveries').filter({ hasText: /\(.*\b\d+ for repositories not selected\b.*\)/ }).waitFor();
  expect(await tab.getByTestId('deliveries').innerText()).not.toMatch(/[a-z]+-[a-z]+-[a-z]+/);
  const kept = [...env.sb.simulator.model.repositories.values()][1]!;
  const row = data(await call('repositories/list', { search: kept.slug })).items.find((r) => r.uuid === kept.uuid)!;
  expect(row.backfill?.state).toBe('done');
  const { done } = row.backfill!;
  await tab.getByTestId(`repository-${kept.slug}`).locator('td').nth(2).getByText(`done: ${done} pull request${done === 1 ? '' : 's'}`, { exact: true }).waitFor();
});

it('has no serious or critical accessibility violations', async () => {
  expect(await seriousViolations(tab)).toEqual([]);
});
