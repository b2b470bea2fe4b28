import { activateAsAdmin } from '../../src/sandbox/sandbox';
import { browserSandbox, seriousViolations, type BrowserSandbox } from './helpers';

// The card on a pull request older than the backfill: the admin activated the app, the backfill read
// the last 30 days, and this pull request was last touched before them, so the app holds nothing of
// it. The card must say so plainly, and what would change it.

let env: BrowserSandbox;
beforeAll(async () => {
  // Sixty days of history, so some of it lies before the 30 days the backfill reads.
  env = await browserSandbox({ simulator: { seed: 'card-history', repositories: 1, pullRequestsPerRepository: 10, historyDays: 60 } });
  await activateAsAdmin(env.sb);
  await env.sb.settle();
}, 120_000);
afterAll(() => env?.stop());

const WINDOW_MS = 30 * 86_400_000;

/** A pull request nobody has touched since before the backfill's window. */
function olderThanTheWindow() {
  const repository = [...env.sb.simulator.model.repositories.values()][0]!;
  // The simulator keeps times in microseconds.
  const old = [...repository.pullRequests.values()].find((pr) => pr.updatedOn / 1000 < Date.now() - WINDOW_MS - 86_400_000);
  if (!old) throw new Error('the seeded history has no pull request older than the window: seed more days');
  return { repository, pullRequest: old };
}

it('says plainly why a pull request older than the backfill has no figures, and what would bring them', async () => {
  const { pullRequest } = olderThanTheWindow();
  const tab = await env.openCard(pullRequest.id);
  // What the card shows, beside the live region that says it to a screen reader.
  const said = tab.getByText(/no figures for this pull request/).and(tab.locator(':not([role=status])'));
  await said.waitFor();
  const text = await said.innerText();
  // Why: the history the app read, by its length and where it starts, and that this one is older.
  expect(text).toMatch(/the 30 days of history/);
  expect(text).toMatch(/last updated before \d{1,2} [A-Z][a-z]+ \d{4}/);
  // What would change it, in words a developer can act on; and never "yet", which promises it will come.
  expect(text).toMatch(/comment|review|push/);
  expect(text).not.toMatch(/\byet\b/);
  await tab.getByRole('status').filter({ hasText: /no figures for this pull request/ }).waitFor();
  expect(await seriousViolations(tab)).toEqual([]);
}, 60_000);

it('shows the figures once something happens on such a pull request, as the card said it would', async () => {
  const { repository, pullRequest } = olderThanTheWindow();
  env.sb.simulator.actions.addComment({ repository: repository.slug, pullRequestId: pullRequest.id, content: 'Is this still needed?' });
  await env.sb.settle();
  const tab = await env.openCard(pullRequest.id);
  await tab.getByRole('region', { name: 'This pull request' }).getByRole('row', { name: /Size|Coding time/ }).first().waitFor();
}, 60_000);
