import { settingsStore } from '../../src/core/config/settings';
import { hostStores } from '../../src/sandbox/host-store';
import { testSandbox, type TestSandbox } from './helpers';

// A merge's comment job can wait long after the merge (parked by Bitbucket's rolling-hour 429, or
// queued): a repository the admin deselected meanwhile gets no comment from the app.

let sb: TestSandbox;
afterAll(() => sb.stop());

const repository = () => [...sb.simulator.model.repositories.values()][0]!;
const ours = (pullRequestId: number) => repository().pullRequests.get(pullRequestId)!.comments.filter((c) => !c.deleted && c.userUuid === sb.simulator.model.app.uuid);

it('posts no comment on a repository deselected while the comment job waited, and says why', async () => {
  sb = await testSandbox({ scheduledTriggers: false, simulator: { repositories: 1 } });
  const { pullRequestId: id } = sb.simulator.actions.openPullRequest({ repository: repository().slug, title: 'Add tracing', commits: 2 });
  await sb.settle();
  sb.simulator.faults.add({ method: 'POST', path: '/comments$', status: 429, body: 'Rate limit for this resource has been exceeded', times: 1 });
  sb.simulator.actions.mergePullRequest({ repository: repository().slug, pullRequestId: id });
  await sb.settle();
  expect(ours(id)).toHaveLength(0);
  const { store, secrets } = hostStores(sb.host);
  await settingsStore(store, secrets).setSelected(repository().uuid, false);
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(ours(id)).toHaveLength(0);
  expect(sb.logs.filter((line) => line.message.includes('no pull request comment: the repository is no longer selected'))).toHaveLength(1);
}, 60_000);
