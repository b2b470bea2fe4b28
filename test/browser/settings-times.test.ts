import type { Page } from 'playwright-core';
import { saveBackfill, type BackfillRecord } from '../../src/core/backfill/state';
import { hostStores } from '../../src/sandbox/host-store';
import { browserSandbox, type BrowserSandbox } from './helpers';

// Times on the page read as a person would say them: a backfill's time left never shows "60 min" or
// "1 h 60 min" where it is about an hour or two.

let env: BrowserSandbox;
let tab: Page;
beforeAll(async () => {
  env = await browserSandbox({ simulator: { repositories: 2, pullRequestsPerRepository: 0 }, liveEvents: false });
});
afterAll(() => env.stop());

/** A running backfill that expects to need `etaSeconds` more, said just now. */
function running(repository: { uuid: string; name: string }, etaSeconds: number): BackfillRecord {
  const now = Date.now();
  return {
    repository: repository.uuid, name: repository.name, state: 'running', windowDays: 30, since: new Date(now - 30 * 86_400_000).toISOString(),
    requestedAt: now, run: 'test', updatedAt: now, done: 10, total: 100, requests: 10, etaSeconds, leftOutInARow: 0, skipped: [], skippedCount: 0,
  };
}

it('rounds a backfill\'s time left to whole minutes and hours', async () => {
  const [a, b] = [...env.sb.simulator.model.repositories.values()];
  const { store } = hostStores(env.sb.host);
  // Seconds short of two hours and of one: a few seconds pass before the page reads them.
  await saveBackfill(store, running(a!, 7190));
  await saveBackfill(store, running(b!, 3595));
  tab = await env.open();
  const left = (slug: string) => tab.getByTestId(`repository-${slug}`).locator('td').nth(2);
  await left(a!.slug).getByText(/left$/).waitFor();
  expect(await left(a!.slug).innerText()).toContain('10 of 100 pull requests · about 2 h left');
  expect(await left(b!.slug).innerText()).toContain('10 of 100 pull requests · about 1 h left');
});
