import type { Page } from 'playwright-core';
import { deadLetterRows } from '../../src/core/deliver/dead-letter-rows';
import { hostStores } from '../../src/sandbox/host-store';
import { connectApp } from '../../src/sandbox/sandbox';
import { data, settingsCaller } from '../e2e/settings-helpers';
import { refuseDeliveries, acceptDeliveries } from '../e2e/helpers';
import { browserSandbox, type BrowserSandbox } from './helpers';

// More dead letters than one storage query returns: the page shows 20, Show more brings the rest, and
// Replay all sends every one again, saying how far it got. A replay that fails again is a second
// burial in the day's count, not a second letter.

let env: BrowserSandbox;
let tab: Page;
let dead = 0;
const call = settingsCaller(() => env.sb);
beforeAll(async () => {
  env = await browserSandbox({ simulator: { repositories: 3, pullRequestsPerRepository: 0 } });
  const { sb } = env;
  await connectApp(sb.host, sb.pandev);
  // PanDev refuses every delivery for good: each becomes a dead letter.
  refuseDeliveries(sb);
  const repositories = [...sb.simulator.model.repositories.values()];
  for (let i = 0; i < 15; i++) sb.simulator.actions.openPullRequest({ repository: repositories[i % repositories.length]!.slug });
  await sb.settle();
  dead = (await sb.outbox().listDead(undefined, 1000)).entries.length;
  tab = await env.open();
});
afterAll(() => env.stop());

const rows = () => tab.getByTestId('dead-letters').locator('tbody tr');

it('shows 20 and brings the rest with Show more', async () => {
  expect(dead).toBeGreaterThan(20);
  await tab.getByText('20 dead letters shown; there are more.').waitFor();
  expect(await rows().count()).toBe(20);
  while (await tab.getByRole('button', { name: 'Show more' }).count()) {
    const shown = await rows().count();
    await tab.getByRole('button', { name: 'Show more' }).click();
    await tab.getByText(new RegExp(`^(?!${shown} )\\d+ dead letters shown`)).waitFor();
  }
  expect(await rows().count()).toBe(dead);
  await tab.getByTestId('status').getByText(`${dead} deliveries could not be delivered`, { exact: false }).waitFor();
});

it('shows a letter whose two rows (two racing burials) fall on two pages once', async () => {
  const { sb } = env;
  const firstPage = await sb.outbox().listDeadNewestFirst({ limit: 20 }, () => Date.now());
  const last = (await sb.outbox().getDead(firstPage.rows.at(-1)!.id))!;
  // A second row of the first page's last letter, a moment older: it sorts onto a later page.
  await deadLetterRows(hostStores(sb.host).store, 90 * 24 * 3600).put({ ...last, deadAt: last.deadAt - 1 });
  await tab.reload();
  await tab.getByText('20 dead letters shown; there are more.').waitFor();
  while (await tab.getByRole('button', { name: 'Show more' }).count()) {
    const shown = await rows().count();
    await tab.getByRole('button', { name: 'Show more' }).click();
    await tab.getByText(new RegExp(`^(?!${shown} )\\d+ dead letters shown`)).waitFor();
  }
  expect(await rows().count()).toBe(dead);
  await tab.getByText(`${dead} dead letters shown.`).waitFor();
  // The stale row stays stored (the sandbox deletes only through the app): the replays below take it.
});

it('replayed while PanDev still refuses, counts each burial for the day and each letter once', async () => {
  const { sb } = env;
  // One burial each so far: a source that finds their changes again (the reconciliation) leaves them dead letters.
  const before = data(await call('status/get', {})).deliveries.dead;
  expect(before).toBe(dead);
  await tab.getByRole('button', { name: 'Replay all' }).click();
  await tab.getByTestId('replay-progress').filter({ hasText: `Replayed: ${dead} deliveries sent again.` }).waitFor();
  await sb.settle();
  // Every letter failed again: one more burial each for the day, and still one letter each, so the day
  // counts more than the list holds.
  const status = data(await call('status/get', {}));
  expect(status.deliveries.dead).toBe(before + dead);
  expect(status.deadLetters.count).toBe(dead);
  await tab.reload();
  await tab.getByTestId('dead-letter-count').filter({ hasText: `${dead} waiting for a replay` }).waitFor();
  await tab.getByTestId('deliveries').filter({ hasText: `${status.deliveries.dead} times a delivery became a dead letter (counted each time: one sent again that fails again counts again)` }).waitFor();
});

it('replays them all once the cause is fixed, and says how many', async () => {
  const { sb } = env;
  acceptDeliveries(sb);
  await tab.getByRole('button', { name: 'Replay all' }).click();
  await tab.getByTestId('replay-progress').filter({ hasText: `Replayed: ${dead} deliveries sent again.` }).waitFor();
  await tab.getByText('No dead letters', { exact: false }).waitFor();
  // Replay all has left the page with the letters: the keyboard's place is the count it ended with.
  await tab.waitForFunction(() => (globalThis as unknown as { document: { activeElement: { getAttribute(name: string): string | null } | null } }).document.activeElement?.getAttribute('data-testid') === 'replay-progress', undefined, { timeout: 5_000 });
  await sb.settle();
  await tab.getByTestId('dead-letter-count').filter({ hasText: 'none waiting' }).waitFor();
  expect(sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created')).toHaveLength(15);
});
