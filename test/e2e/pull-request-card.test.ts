import { requestBackfill } from '../../src/core/backfill/state';
import { settingsStore } from '../../src/core/config/settings';
import { hostStores } from '../../src/sandbox/host-store';
import { testSandbox, type TestSandbox } from './helpers';

// The pull request card's resolver, called through the local Forge host as the card calls it: what a
// developer reads when there are no figures, and that its answer carries figures in words, not ids.

let sb: TestSandbox;
afterEach(() => sb.stop());

const repository = () => [...sb.simulator.model.repositories.values()][0]!;

async function card(pullRequestId: number): Promise<unknown> {
  const accountId = sb.simulator.credentials.member.user.account_id as string;
  return sb.host.invokeResolver('card-resolver', 'card/figures', {}, { accountId, extension: { repository: { uuid: repository().uuid }, pullRequest: { id: pullRequestId } } });
}

it('says the app is not connected yet, not that the pull request is too old, in a workspace that has not connected it', async () => {
  sb = await testSandbox({ connect: false });
  const { pullRequestId } = sb.simulator.actions.openPullRequest({ repository: repository().slug, title: 'Cache the repository index', commits: 1 });
  await sb.settle();
  const answer = await card(pullRequestId);
  expect(answer).toEqual({ available: false, reason: expect.stringMatching(/not connected/) });
  expect(JSON.stringify(answer)).not.toMatch(/before the app was activated|backfill window/);
}, 30_000);

it('says the repository is not selected when an admin left it out', async () => {
  sb = await testSandbox();
  await settingsStore(hostStores(sb.host).store, hostStores(sb.host).secrets).setSelected(repository().uuid, false);
  const { pullRequestId } = sb.simulator.actions.openPullRequest({ repository: repository().slug, title: 'Cache the repository index', commits: 1 });
  await sb.settle();
  expect(await card(pullRequestId)).toEqual({ available: false, reason: expect.stringMatching(/repository is not selected/) });
}, 30_000);

it('says the app is still reading the repository\'s history, not that the pull request is too old, while its backfill has not reached it', async () => {
  // No five-minute tick: the backfill stays where Activate leaves it, asked for and not yet run.
  sb = await testSandbox({ scheduledTriggers: false });
  await requestBackfill(hostStores(sb.host).store, [{ uuid: repository().uuid }], { windowDays: 30, now: Date.now() });
  const before = Math.max(...repository().pullRequests.keys());
  const answer = await card(before);
  expect(answer).toEqual({ available: false, reason: expect.stringMatching(/still reading this repository's pull requests from the last 30 days/) });
  expect(JSON.stringify(answer)).not.toMatch(/before the app was activated|backfill window/);
}, 30_000);

it('says a one-day window in the singular while the backfill reads it', async () => {
  sb = await testSandbox({ scheduledTriggers: false });
  await requestBackfill(hostStores(sb.host).store, [{ uuid: repository().uuid }], { windowDays: 1, now: Date.now() });
  const answer = await card(Math.max(...repository().pullRequests.keys()));
  expect(answer).toEqual({ available: false, reason: expect.stringMatching(/still reading this repository's pull requests from the last 1 day:/) });
}, 30_000);
