import type { Page } from 'playwright-core';
import { saveBackfill, type BackfillRecord } from '../../src/core/backfill/state';
import { hostStores } from '../../src/sandbox/host-store';
import { browserSandbox, saveConnection, type BrowserSandbox } from './helpers';

// A workspace of 2,000 repositories (two projects of 1,000) half-way through its backfill: every count
// on the page reads the same way, grouped, never "1000 of 2,000" side by side.

let env: BrowserSandbox;
let tab: Page;
beforeAll(async () => {
  env = await browserSandbox({ simulator: { repositories: 2000, pullRequestsPerRepository: 0, historyDays: 1 }, liveEvents: false, scheduledTriggers: false });
}, 90_000);
afterAll(() => env.stop());

function record(repository: { uuid: string; name: string }, fields: Partial<BackfillRecord>): BackfillRecord {
  const now = Date.now();
  return {
    repository: repository.uuid, name: repository.name, state: 'done', windowDays: 30, since: new Date(now - 30 * 86_400_000).toISOString(),
    requestedAt: now, run: 'test', updatedAt: now, done: 0, total: 0, requests: 0, leftOutInARow: 0, skipped: [], skippedCount: 0, ...fields,
  };
}

it('groups every count over a thousand, in the status, the project headings, the backfill rows and the paging', async () => {
  const repositories = [...env.sb.simulator.model.repositories.values()];
  const { store } = hostStores(env.sb.host);
  for (const repository of repositories.slice(1, 1001)) await saveBackfill(store, record(repository, {}));
  await saveBackfill(store, record(repositories[0]!, {
    state: 'running', done: 1500, total: 12000, skippedCount: 1500,
    skipped: [{ phase: 'pullrequests', what: 'pull request #7', reason: 'Bitbucket answered 500 five times' }],
  }));

  tab = await env.open();
  const status = tab.getByTestId('status');
  // Waits that match either way of writing a number, so one comparison at the end shows every place that differs.
  await status.getByText(/^2,?000 of 2,000 repositories selected$/).waitFor({ timeout: 60_000 });
  const done = status.getByText(/repositories done/);
  const skipped = status.getByText(/left out after repeated failures/);
  const progress = status.getByText(/of 12,000 pull requests/);
  // Each project heading counts its own repositories.
  const heading = tab.locator('label').filter({ hasText: /— 1,?000 of 1,?000 selected$/ }).first();
  await heading.waitFor();

  const paging = tab.getByText(/^[\d,]+–[\d,]+ of 2,000$/);
  for (let shown = 50; shown <= 1000; shown += 50) {
    await tab.getByRole('button', { name: 'Next', exact: true }).click();
    await paging.filter({ hasText: new RegExp(`–${String(shown + 50).replace(/(\d)(\d{3})$/, '$1,?$2')} of`) }).waitFor();
  }
  const { pandev } = env.sb;
  await saveConnection(tab, { baseUrl: pandev.url, token: pandev.token, signingSecret: pandev.signingSecret });
  await tab.getByRole('button', { name: 'Check connection' }).click();
  const readable = tab.getByTestId('check-results').getByText(/can read [\d,]+ repositories/);
  const access = tab.getByTestId('check-results').getByText(/^The app reads every repository you can see/);
  await access.waitFor();

  const text = async (locator: typeof done) => (await locator.innerText()).trim();
  expect({
    done: (await text(done)).replace(/ done.*$/, ' done'),
    skipped: (await text(skipped)).replace(/, latest: .*$/, ''),
    progress: (await text(progress)).replace(/ · .*$/, ''),
    heading: (await text(heading)).split(' — ')[1],
    paging: await text(paging),
    readable: (await text(readable)).replace(/^.* can read /, ''),
    access: await text(access),
  }).toEqual({
    done: '1,000 of 1,001 repositories done',
    skipped: '1,500 left out after repeated failures',
    progress: '1,500 of 12,000 pull requests',
    heading: '1,000 of 1,000 selected',
    paging: '1,001–1,050 of 2,000',
    readable: '2,000 repositories.',
    access: 'The app reads every repository you can see (2,000) and their pull requests.',
  });
}, 120_000);
