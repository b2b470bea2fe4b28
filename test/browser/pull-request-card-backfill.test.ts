import { getBackfill, type BackfillRecord } from '../../src/core/backfill/state';
import { settingsStore } from '../../src/core/config/settings';
import { activateAsAdmin, settingsResolver } from '../../src/sandbox/sandbox';
import { hostStores } from '../../src/sandbox/host-store';
import { browserSandbox, seriousViolations, type BrowserSandbox } from './helpers';

// The card on a pull request of a repository whose history the app did not read: Bitbucket refused
// the repository, so its backfill failed, and later an admin deselected it. The card must say which,
// and who can act, never that the pull request is older than the history the app read.

let env: BrowserSandbox;
const repository = () => [...env.sb.simulator.model.repositories.values()][0]!;
const backfill = () => getBackfill(hostStores(env.sb.host).store, repository().uuid);

beforeAll(async () => {
  env = await browserSandbox({ liveEvents: false, simulator: { seed: 'card-backfill', repositories: 2, pullRequestsPerRepository: 3, historyDays: 5 } });
  await settingsStore(hostStores(env.sb.host).store, hostStores(env.sb.host).secrets).savePreferences({ requestsPerHour: 100_000 });
  // Bitbucket refuses the repository the card is opened on, as when the app lost access to it.
  const refused = repository();
  env.sb.simulator.faults.add({ path: `${refused.uuid.replace(/[{}]/g, '')}|/${refused.slug}/`, status: 403, body: '{"type":"error","error":{"message":"Forbidden"}}' });
  await activateAsAdmin(env.sb);
  let record: BackfillRecord | undefined;
  for (let round = 0; round < 400 && !['failed', 'done'].includes((record = await backfill())?.state ?? ''); round++) {
    await Promise.race([env.sb.settle(), new Promise((resolve) => setTimeout(resolve, 500))]);
  }
  if (record?.state !== 'failed') throw new Error(`the refused repository's backfill ended ${record?.state ?? 'never'}, not failed`);
}, 120_000);
afterAll(() => env?.stop());

const pullRequestId = () => [...repository().pullRequests.values()][0]!.id;

/** What the card shows once it has its answer (beside the live region that says it to a screen reader). */
async function shown(): Promise<string> {
  const tab = await env.openCard(pullRequestId());
  await tab.getByRole('status').filter({ hasText: /\w/ }).filter({ hasNotText: /Loading/ }).waitFor();
  expect(await seriousViolations(tab)).toEqual([]);
  return tab.locator('#root > :not([role=status])').innerText();
}

it('says the app could not read the repository\'s history when its backfill failed, and where an admin sees why', async () => {
  const text = await shown();
  expect(text).toMatch(/no figures for this pull request/);
  expect(text).toMatch(/could not read this repository's history/);
  // Who can see why, and where: the repository's Backfill column on the settings page.
  expect(text).toMatch(/workspace admin/);
  expect(text).toMatch(/Workspace settings → PanDev Metrics/);
  expect(text).toMatch(/Backfill/);
  expect(text).not.toMatch(/older|last updated before/);
}, 60_000);

it('says the repository is not selected once an admin deselected it, and who can select it', async () => {
  const call = settingsResolver(env.sb.host, env.sb.simulator.credentials.admin.user.account_id as string);
  await call('repositories/select', { scope: 'repositories', repositories: [repository().uuid], selected: false });
  const text = await shown();
  expect(text).toMatch(/not selected/);
  expect(text).toMatch(/a workspace admin can select it under Workspace settings → PanDev Metrics/);
  expect(text).not.toMatch(/older|could not read/);
}, 60_000);
