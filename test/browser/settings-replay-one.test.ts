import type { Page } from 'playwright-core';
import { connectApp } from '../../src/sandbox/sandbox';
import { data, settingsCaller } from '../e2e/settings-helpers';
import { eventWords } from '../../static/settings/src/words';
import { refuseDeliveries, acceptDeliveries } from '../e2e/helpers';
import { browserSandbox, type BrowserSandbox } from './helpers';

// Replaying one dead letter says what became of it (sent again, or gone already because someone else
// replayed it) and leaves the focus on that answer, not at the top of the page, as its row goes away.

let env: BrowserSandbox;
let tab: Page;
const call = settingsCaller(() => env.sb);
beforeAll(async () => {
  env = await browserSandbox({ simulator: { repositories: 2, pullRequestsPerRepository: 0 } });
  const { sb } = env;
  await connectApp(sb.host, sb.pandev);
  // PanDev refuses the token for good: each pull request opened becomes a dead letter.
  refuseDeliveries(sb);
  for (const repository of sb.simulator.model.repositories.values()) sb.simulator.actions.openPullRequest({ repository: repository.slug });
  await sb.settle();
  acceptDeliveries(sb);
  tab = await env.open();
});
afterAll(() => env.stop());

const rows = () => tab.getByTestId('dead-letters').locator('tbody tr');
const focused = () => tab.evaluate(() => {
  const active = (globalThis as unknown as { document: { activeElement: { tagName: string; textContent: string | null } | null } }).document.activeElement;
  return !active || active.tagName === 'BODY' ? 'body' : active.textContent?.trim();
});

/**
 * Once the page lists every dead letter the resolver does, the first row's: by what the row shows, as
 * the page's order and refreshes are its own.
 */
async function shownFirst() {
  const letters = data(await call('deadLetters/list', {})).items;
  await rows().nth(letters.length - 1).waitFor();
  const first = rows().first();
  const [event, repository] = await Promise.all([first.locator('td').nth(0).innerText(), first.locator('td').nth(1).innerText()]);
  const letter = letters.find((item) => eventWords(item.eventKey) === event && item.repository === repository)!;
  return { letter, count: letters.length, row: rows().filter({ hasText: event }).filter({ hasText: repository }) };
}

it('names the letter each Replay button sends, so twenty buttons do not all read "Replay" from the keyboard', async () => {
  await rows().nth(1).waitFor();
  const named = await Promise.all((await rows().all()).map(async (row) => {
    const [event, repository] = await Promise.all([row.locator('td').nth(0).innerText(), row.locator('td').nth(1).innerText()]);
    return { expected: `Replay the ${event} event of ${repository}`, name: await row.getByRole('button').getAttribute('aria-label') };
  }));
  expect(named.map((row) => row.name)).toEqual(named.map((row) => row.expected));
  // The accessible name is the one a screen reader says and the one the role query finds.
  await tab.getByRole('button', { name: named[0]!.expected, exact: true }).waitFor();
});

it('says a replayed letter was sent again, and keeps the focus there', async () => {
  await rows().nth(1).waitFor();
  const { letter, count, row } = await shownFirst();
  await row.getByRole('button', { name: 'Replay' }).focus();
  await tab.keyboard.press('Enter');
  await tab.getByRole('status').filter({ hasText: `The ${eventWords(letter.eventKey)} event of ${letter.repository} was sent again.` }).waitFor();
  // Its row goes with the list's refresh, which may come a moment after the answer.
  await rows().nth(count - 1).waitFor({ state: 'detached' });
  expect(await rows().count()).toBe(count - 1);
  expect(await focused()).toContain(`The ${eventWords(letter.eventKey)} event of ${letter.repository} was sent again.`);
});

it('says when the letter was replayed meanwhile from elsewhere', async () => {
  const { letter, row } = await shownFirst();
  // Another admin, in another tab, replays it first.
  data(await call('deadLetters/replay', { id: letter.id }));
  await row.getByRole('button', { name: 'Replay' }).click();
  await tab.getByRole('status').filter({ hasText: `The ${eventWords(letter.eventKey)} event of ${letter.repository} was no longer a dead letter` }).waitFor();
});
