import type { Page } from 'playwright-core';
import { connectApp } from '../../src/sandbox/sandbox';
import { data, settingsCaller } from '../e2e/settings-helpers';
import { refuseDeliveries } from '../e2e/helpers';
import { browserSandbox, type BrowserSandbox } from './helpers';

// A dead letter names its repository as Repositories does, from the list the page keeps: a Forge
// event may carry the repository's UUID alone, and a bare UUID tells the admin nothing, not even
// for a repository the kept list does not have.

let env: BrowserSandbox;
let tab: Page;
let unlisted: string;
const call = settingsCaller(() => env.sb);
const GONE = '{0badc0de-0000-4000-8000-000000000000}';
beforeAll(async () => {
  env = await browserSandbox({ simulator: { repositories: 2, pullRequestsPerRepository: 0 } });
  const { sb } = env;
  await connectApp(sb.host, sb.pandev);
  const [named, other] = [...sb.simulator.model.repositories.values()];
  sb.simulator.actions.updateRepository({ repository: named!.slug, name: 'Billing Ledger' });
  await sb.settle();
  // The admin has had the page open before, so its copy of the repository list is kept.
  data(await call('repositories/list', {}));
  // A repository created since: the kept list is fresh, so it is not read again while the page is open.
  const fresh = sb.simulator.actions.createRepository({ name: 'Fresh Start' });
  unlisted = fresh.uuid;
  await sb.settle();
  // PanDev refuses the next deliveries for good: they become dead letters.
  refuseDeliveries(sb);
  sb.simulator.actions.openPullRequest({ repository: named!.slug });
  sb.simulator.actions.openPullRequest({ repository: other!.slug });
  sb.simulator.actions.openPullRequest({ repository: fresh.slug });
  await sb.settle();
  // As Forge delivers them at times: each with the repository's UUID only, the second's from a
  // repository deleted since the list was read (an event from before the reading).
  const outbox = sb.outbox();
  for (const { value } of (await outbox.listDead(undefined, 100)).entries) {
    if (value.entry.eventKey !== 'pullrequest:created') continue;
    const { repository } = value.entry.change;
    const change = repository.uuid === other!.uuid
      ? { ...value.entry.change, repository: { uuid: GONE }, at: '2020-01-01T00:00:00Z' }
      : { ...value.entry.change, repository: { uuid: repository.uuid } };
    await outbox.putDead({ ...value, entry: { ...value.entry, change } });
  }
  tab = await env.open();
});
afterAll(() => env.stop());

it('names the repository of a letter whose event carried only its UUID, and says when it is gone', async () => {
  const created = tab.getByTestId('dead-letters').locator('tbody tr').filter({ hasText: 'pull request created' });
  await created.filter({ hasText: 'Billing Ledger' }).waitFor();
  await created.filter({ hasText: `a repository no longer in the workspace (${GONE})` }).waitFor();
  expect(await created.count()).toBe(3);
});

it('says a repository the kept list does not have yet is not listed yet, never its bare UUID', async () => {
  const rows = tab.getByTestId('dead-letters').locator('tbody tr').filter({ hasText: 'pull request created' });
  await rows.filter({ hasText: `a repository not in the Repositories list yet (${unlisted})` }).waitFor();
  const repositories = await rows.locator('td:nth-child(2)').allInnerTexts();
  expect(repositories).not.toContain(unlisted);
});
