import type { Page } from 'playwright-core';
import { connectApp } from '../../src/sandbox/sandbox';
import { data, settingsCaller } from '../e2e/settings-helpers';
import { refuseDeliveries } from '../e2e/helpers';
import { browserSandbox, type BrowserSandbox } from './helpers';

// A dead letter names its repository as Repositories does, from the list the page keeps: a Forge
// event may carry the repository's UUID alone, and a bare UUID tells the admin nothing.

let env: BrowserSandbox;
let tab: Page;
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
  // PanDev refuses the next deliveries for good: they become dead letters.
  refuseDeliveries(sb);
  sb.simulator.actions.openPullRequest({ repository: named!.slug });
  sb.simulator.actions.openPullRequest({ repository: other!.slug });
  await sb.settle();
  // As Forge delivers them at times: the first with the repository's UUID only, the second from a
  // repository deleted since the list was read (an event from before the reading).
  const outbox = sb.outbox();
  for (const { value } of (await outbox.listDead(undefined, 100)).entries) {
    if (value.entry.eventKey !== 'pullrequest:created') continue;
    const { repository } = value.entry.change;
    const change = repository.uuid === named!.uuid
      ? { ...value.entry.change, repository: { uuid: repository.uuid } }
      : { ...value.entry.change, repository: { uuid: GONE }, at: '2020-01-01T00:00:00Z' };
    await outbox.putDead({ ...value, entry: { ...value.entry, change } });
  }
  tab = await env.open();
});
afterAll(() => env.stop());

it('names the repository of a letter whose event carried only its UUID, and says when it is gone', async () => {
  const created = tab.getByTestId('dead-letters').locator('tbody tr').filter({ hasText: 'pull request created' });
  await created.filter({ hasText: 'Billing Ledger' }).waitFor();
  await created.filter({ hasText: `a repository no longer in the workspace (${GONE})` }).waitFor();
  expect(await created.count()).toBe(2);
});
