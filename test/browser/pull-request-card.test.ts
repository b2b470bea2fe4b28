import type { Locator, Page } from 'playwright-core';
import { settingsStore, type Preferences } from '../../src/core/config/settings';
import { BAND_THRESHOLDS, BANDS } from '../../src/core/metrics/bands';
import { BANDED } from '../../src/core/metrics/definitions';
import { hostStores } from '../../src/sandbox/host-store';
import { browserSandbox, failingOnce, focusReaches, screenshot, seriousViolations, type BrowserSandbox } from './helpers';

// Issue 5: the pull request card in real headless Chromium, served by the sandbox's page server against
// the real card resolver on the local Forge host: live figures on an open pull request, the merged
// ones on a merged pull request, and a reason where the app has seen nothing.

let env: BrowserSandbox;
beforeAll(async () => {
  env = await browserSandbox({ connect: true });
}, 60_000);
afterAll(() => env?.stop());

const repository = () => [...env.sb.simulator.model.repositories.values()][0]!;
const openCard = (pullRequestId: number, theme: 'light' | 'dark' = 'light', tab?: Page) => env.openCard(pullRequestId, { theme, ...(tab ? { tab } : {}) });

/** A pull request opened and merged on the first repository, each step settled: its id. */
async function mergedPullRequest(title: string, commits = 1): Promise<number> {
  const { sb } = env;
  const repo = repository().slug;
  const { pullRequestId } = sb.simulator.actions.openPullRequest({ repository: repo, title, commits });
  await sb.settle();
  sb.simulator.actions.mergePullRequest({ repository: repo, pullRequestId });
  await sb.settle();
  return pullRequestId;
}

/** Runs `test` with the app's preferences changed, then puts back the ones it found. */
async function withPreferences(change: Partial<Preferences>, test: () => Promise<void>): Promise<void> {
  const settings = settingsStore(hostStores(env.sb.host).store, hostStores(env.sb.host).secrets);
  const before = await settings.preferences();
  await settings.savePreferences({ ...before, ...change });
  try {
    await test();
  } finally {
    await settings.savePreferences(before);
  }
}

it('shows an open pull request\'s times so far and a merged one\'s figures, with reasons for what is missing', async () => {
  const { sb } = env;
  const a = sb.simulator.actions;
  const repo = repository().slug;
  const open = a.openPullRequest({ repository: repo, title: 'Cache the repository index', commits: 1 });
  const merged = a.openPullRequest({ repository: repo, title: 'Retry on 429', commits: 2 });
  await sb.settle();
  // A review, then the merge a moment later (in one instant, the simulator may stamp them in either order).
  a.approvePullRequest({ repository: repo, pullRequestId: merged.pullRequestId });
  await sb.settle();
  await new Promise((resolve) => setTimeout(resolve, 1100));
  a.mergePullRequest({ repository: repo, pullRequestId: merged.pullRequestId });
  await sb.settle();

  const openTab = await openCard(open.pullRequestId);
  const openCardRegion = openTab.getByRole('region', { name: 'This pull request' });
  await openCardRegion.getByText('Pickup time').waitFor();
  await expect(openCardRegion.getByRole('row', { name: /Pickup time/ }).textContent()).resolves.toMatch(/so far/);
  await expect(openCardRegion.getByRole('row', { name: /Review time/ }).textContent()).resolves.toMatch(/not available/i);
  // An open pull request's size is read at its merge: "not known yet" would leave the reader waiting.
  await expect(openCardRegion.getByRole('row', { name: /Size/ }).textContent()).resolves.toMatch(/read when it is merged/);
  expect(await seriousViolations(openTab)).toEqual([]);

  const mergedTab = await openCard(merged.pullRequestId);
  const mergedRegion = mergedTab.getByRole('region', { name: 'This pull request' });
  await mergedRegion.getByText('Review time').waitFor();
  await expect(mergedRegion.getByRole('row', { name: /Review time/ }).textContent()).resolves.not.toMatch(/not available|so far/i);
  await expect(mergedRegion.getByRole('row', { name: /Deploy time/ }).textContent()).resolves.toMatch(/not available/i);
  await mergedTab.getByRole('region', { name: /Repository, last 30 days/ }).getByText('Deployment frequency').waitFor();
  await screenshot(mergedTab, 'pull-request-card.png');
  const dark = await openCard(merged.pullRequestId, 'dark');
  await dark.getByText('Review time').waitFor();
  expect(await seriousViolations(dark)).toEqual([]);
  await screenshot(dark, 'pull-request-card-dark.png');
}, 60_000);

it('says why there are no figures for a pull request the app has not seen', async () => {
  const tab = await openCard(9999);
  await tab.getByText(/has not seen this pull request yet/).first().waitFor();
  // This sandbox read no history at all: the card must not claim the pull request is older than it.
  expect(await tab.locator('#root > :not([role=status])').innerText()).not.toMatch(/older|history/);
  // Said in the live region that announced the loading: a screen reader hears the outcome too.
  await tab.getByRole('status').filter({ hasText: /has not seen this pull request yet/ }).waitFor();
}, 30_000);

it('offers to try again, in place, when the figures could not be loaded or read', async () => {
  const { sb } = env;
  const { pullRequestId } = sb.simulator.actions.openPullRequest({ repository: repository().slug, title: 'Trace slow queries', commits: 1 });
  await sb.settle();
  const figures = (tab: Page) => tab.getByRole('region', { name: 'This pull request' }).getByText('Pickup time');

  // The platform answers the call with an error (the function timed out, say).
  const tab = await env.cardTab();
  await failingOnce(tab, 'card/figures', { status: 500, body: { error: 'There was an error invoking the function - timed out' } }, async () => {
    await openCard(pullRequestId, 'light', tab);
    await tab.getByRole('alert').getByText(/could not be loaded/).waitFor();
  });
  await tab.getByRole('button', { name: 'Try again' }).click();
  await figures(tab).waitFor();
  await tab.getByRole('status').filter({ hasText: 'Figures loaded.' }).waitFor();

  // The resolver answers, but Forge storage refused its read: the same failure, not a note.
  sb.host.throttleStorage((key) => key.startsWith('metrics:'), 1);
  const refused = await openCard(pullRequestId);
  await refused.getByRole('alert').getByText(/could not be read just now/).waitFor();
  expect(await seriousViolations(refused)).toEqual([]);
  await refused.getByRole('button', { name: 'Try again' }).click();
  await figures(refused).waitFor();
}, 60_000);

it('names each band on the repository\'s figures as a DORA performance band, to a screen reader and on screen', async () => {
  const { sb } = env;
  const repo = repository().slug;
  const { pullRequestId } = sb.simulator.actions.openPullRequest({ repository: repo, title: 'Shard the event log', commits: 1 });
  await sb.settle();
  const { mergeCommit } = sb.simulator.actions.mergePullRequest({ repository: repo, pullRequestId });
  await sb.settle();
  // A production deployment gives the repository figures DORA measures, and so bands.
  sb.simulator.actions.runDeployment({ repository: repo, environment: 'Production', commit: mergeCommit, outcome: 'SUCCESSFUL' });
  await sb.settle();

  const tab = await openCard(pullRequestId);
  const region = tab.getByRole('region', { name: /Repository, last 30 days/ });
  const frequency = region.getByRole('row', { name: /Deployment frequency/ });
  await frequency.waitFor();
  const band = frequency.getByRole('img', { name: /^DORA band: / });
  // The name says the band the lozenge shows.
  expect(await band.getAttribute('aria-label')).toBe(`DORA band: ${(await band.innerText()).trim()}`);
  expect(await region.getByRole('img', { name: /^DORA band: (Elite|High|Medium|Low)$/ }).count()).toBe(await region.getByText(/^(Elite|High|Medium|Low)$/).count());
  // Sighted readers get it too: the bands are explained under the figures.
  await region.getByText(/DORA performance bands/).waitFor();
  // And what each band takes for each figure, from the one table of thresholds the comment's "Bands:" lines state too.
  const comment = repository().pullRequests.get(pullRequestId)!.comments.find((c) => !c.deleted && c.userUuid === sb.simulator.model.app.uuid)!;
  for (const [label, metric] of Object.entries(BANDED)) {
    const shown = await region.getByRole('listitem').filter({ hasText: `${label}:` }).innerText();
    const line = comment.raw.split('\n').find((l) => l.startsWith(`- ${label}: `));
    for (const name of BANDS) {
      expect(shown).toContain(`${name} ${BAND_THRESHOLDS[metric][name]}`);
      expect(line).toContain(`${name} ${BAND_THRESHOLDS[metric][name]}`);
    }
  }
  expect(await seriousViolations(tab)).toEqual([]);
}, 60_000);

it('says what each figure means, in the comment\'s own words, behind a disclosure a keyboard and a screen reader can use', async () => {
  const { sb } = env;
  const pullRequestId = await mergedPullRequest('Page the audit export');
  // What the app's comment on the same pull request says each figure means.
  const comment = repository().pullRequests.get(pullRequestId)!.comments.find((c) => !c.deleted && c.userUuid === sb.simulator.model.app.uuid)!;
  const commented = [...comment.raw.matchAll(/^- \*\*(.+?)\*\*: (.+)$/gm)].map(([, term, definition]) => `${term}: ${definition}`);

  const tab = await openCard(pullRequestId);
  const toggle = tab.getByRole('button', { name: 'What these mean' });
  await toggle.waitFor();
  // Folded at first, and said to be: the figures come first in the narrow panel.
  expect(await toggle.getAttribute('aria-expanded')).toBe('false');
  expect(await tab.getByRole('definition').count()).toBe(0);
  await tab.keyboard.press('Tab');
  await focusReaches(toggle);
  await tab.keyboard.press('Enter');
  await tab.getByRole('button', { name: 'What these mean', expanded: true }).waitFor();
  const terms = await tab.getByRole('term').allInnerTexts();
  const definitions = await tab.getByRole('definition').allInnerTexts();
  expect(terms.map((term, i) => `${term.trim()}: ${definitions[i]!.trim()}`)).toEqual(commented);
  // Every figure the card shows is defined; Size says its own meaning (lines and files).
  const names = (await tab.getByRole('rowheader').allInnerTexts()).map((name) => name.trim()).filter((name) => name !== 'Size');
  expect(names.filter((name) => !terms.includes(name))).toEqual([]);
  expect(await seriousViolations(tab)).toEqual([]);
  // The same key folds it away again.
  await tab.keyboard.press('Space');
  await tab.getByRole('button', { name: 'What these mean', expanded: false }).waitFor();
  expect(await tab.getByRole('definition').count()).toBe(0);
}, 60_000);

it('knows a merged pull request\'s size with PR comments turned off', async () => {
  await withPreferences({ prComments: false }, async () => {
    const pullRequestId = await mergedPullRequest('Drop the legacy exporter', 2);
    const tab = await openCard(pullRequestId);
    const size = tab.getByRole('region', { name: 'This pull request' }).getByRole('row', { name: /Size/ });
    await size.waitFor();
    expect(await size.textContent()).toMatch(/\+\d+ −\d+ lines in \d+ files?/);
  });
}, 60_000);

it('says a pull request\'s size is not read while file stats are off, and who can turn them on', async () => {
  await withPreferences({ commitStats: 'off' }, async () => {
    const pullRequestId = await mergedPullRequest('Inline the feature flags');
    const tab = await openCard(pullRequestId);
    const size = tab.getByRole('region', { name: 'This pull request' }).getByRole('row', { name: /Size/ });
    await size.waitFor();
    const text = await size.textContent();
    // In the settings page's own words (Advanced, File stats in the backfill), and never "yet", which promises it will come.
    expect(text).toMatch(/file stats are off/);
    expect(text).toMatch(/a workspace admin can turn them on under Workspace settings → PanDev Metrics \(Advanced, File stats in the backfill\)/);
    expect(text).not.toMatch(/\byet\b/);
    expect(await seriousViolations(tab)).toEqual([]);
  });
}, 60_000);

it('says a declined pull request\'s size is not read, rather than not known yet', async () => {
  const { sb } = env;
  const repo = repository().slug;
  const { pullRequestId } = sb.simulator.actions.openPullRequest({ repository: repo, title: 'Try a second cache layer', commits: 1 });
  await sb.settle();
  sb.simulator.actions.declinePullRequest({ repository: repo, pullRequestId });
  await sb.settle();
  const tab = await openCard(pullRequestId);
  const size = tab.getByRole('region', { name: 'This pull request' }).getByRole('row', { name: /Size/ });
  await size.waitFor();
  const text = await size.textContent();
  expect(text).toMatch(/closed without merging/);
  expect(text).not.toMatch(/\byet\b/);
}, 60_000);

/** The lines a cell's text is laid out on, in the page as painted. */
function linesOf(cell: Locator): Promise<number> {
  type Rect = { top: number };
  type Doc = { createRange(): { selectNodeContents(node: unknown): void; getClientRects(): Rect[] } };
  return cell.evaluate((element) => {
    const range = (globalThis as unknown as { document: Doc }).document.createRange();
    range.selectNodeContents(element);
    return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
  });
}

it('keeps each figure\'s name readable in the narrow panel when the values beside it are long', async () => {
  // File stats off and merged without a review: long reasons stand beside most names.
  await withPreferences({ commitStats: 'off' }, async () => {
    const pullRequestId = await mergedPullRequest('Bump the linter');
    const tab = await openCard(pullRequestId);
    const region = tab.getByRole('region', { name: 'This pull request' });
    await region.getByRole('row', { name: /Size/ }).waitFor();
    for (const name of await tab.getByRole('rowheader').all()) {
      const text = (await name.innerText()).trim();
      // Two-word names on one line, longer ones on two at most: none broken word by word down the side.
      const most = text.split(' ').length <= 2 ? 1 : 2;
      expect({ text, fits: (await linesOf(name)) <= most }).toEqual({ text, fits: true });
    }
  });
}, 60_000);
