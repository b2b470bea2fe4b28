import type { Page } from 'playwright-core';
import { saveBackfill } from '../../src/core/backfill/state';
import { hostStores } from '../../src/sandbox/host-store';
import { browserSandbox, type BrowserSandbox } from './helpers';

// A repository name with nowhere to break (underscores, no spaces) wraps inside its cell: the page in
// a narrow frame keeps its width, and the row's other columns stay on screen.
// In a frame as narrow as a phone's, a radio button's text stays beside it.

const LONG = `customer_onboarding_service_${'x'.repeat(40)}_with_an_extremely_long_repository_name_v2`;

let env: BrowserSandbox;
let tab: Page;
beforeAll(async () => {
  env = await browserSandbox({ simulator: { repositories: 2, pullRequestsPerRepository: 0 }, liveEvents: false });
});
afterAll(() => env.stop());

it('wraps a very long repository name instead of widening the page', async () => {
  const { sb } = env;
  const { uuid } = sb.simulator.actions.createRepository({ name: LONG });
  const now = Date.now();
  // A backfill under way names it in the Status panel too.
  await saveBackfill(hostStores(sb.host).store, {
    repository: uuid, name: LONG, state: 'running', windowDays: 30, since: new Date(now - 30 * 86_400_000).toISOString(), requestedAt: now, run: 'test',
    updatedAt: now, done: 1, total: 10, requests: 1, leftOutInARow: 0, skipped: [], skippedCount: 0,
  });
  tab = await env.open();
  await tab.setViewportSize({ width: 800, height: 900 });
  await tab.getByLabel(`PR comment for ${LONG}`).waitFor();
  const width = await tab.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return { scrolled: root.scrollWidth, shown: root.clientWidth };
  });
  expect(width.scrolled).toBeLessThanOrEqual(width.shown);
  const box = await tab.getByLabel(`PR comment for ${LONG}`).boundingBox();
  expect(box!.x + box!.width).toBeLessThanOrEqual(800);
});

it('keeps each backfill file-stats choice beside its radio button in a 400 px frame', async () => {
  await tab.setViewportSize({ width: 400, height: 900 });
  const choices = tab.getByRole('group', { name: 'File stats in the backfill' }).locator('label');
  await choices.first().waitFor();
  for (const choice of await choices.all()) {
    const radio = (await choice.getByRole('radio').boundingBox())!;
    const text = (await choice.locator('> span').boundingBox())!;
    // Wrapped under its radio button, the text started at the radio's left edge, on the next line.
    expect({ choice: await choice.innerText(), textStartsRightOfRadio: text.x >= radio.x + radio.width }).toEqual({ choice: await choice.innerText(), textStartsRightOfRadio: true });
  }
});
