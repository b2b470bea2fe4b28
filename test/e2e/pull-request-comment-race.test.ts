import { testSandbox, type TestSandbox } from './helpers';

// Two copies of one merge's comment job at once. The app pushes them with a concurrency key per
// repository, but Forge documents the key only as a field of a pushed event, and delivers at least
// once: the host here delivers the job twice and holds neither back, as Forge may.

let sb: TestSandbox;
afterEach(() => sb.stop());

const repository = () => [...sb.simulator.model.repositories.values()][0]!;
const ours = (pullRequestId: number) => repository().pullRequests.get(pullRequestId)!.comments.filter((c) => !c.deleted && c.userUuid === sb.simulator.model.app.uuid);
const posts = () => sb.simulator.stats().byRoute['POST /repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments'] ?? 0;

it('posts one comment when two copies of a merge\'s comment job run at once', async () => {
  sb = await testSandbox({ scheduledTriggers: false, platformHonoursConcurrencyKeys: false, simulator: { repositories: 1 } });
  const a = sb.simulator.actions;
  const repo = repository().slug;
  const { pullRequestId: id } = a.openPullRequest({ repository: repo, title: 'Add request tracing', commits: 2 });
  await sb.settle();
  sb.host.duplicateEvents((body) => 'comment' in body);
  // Bitbucket is slow to take the first post: the other copy looks while it is under way.
  sb.simulator.faults.add({ method: 'POST', path: '/comments$', latencyMs: 1500, times: 1 });
  a.mergePullRequest({ repository: repo, pullRequestId: id });
  await sb.settle();
  expect(ours(id)).toHaveLength(1);
  // The copy that lost spent no post.
  expect(posts()).toBe(1);
  expect(sb.logs.some((line) => /could not write the pull request comment/.test(line.message))).toBe(false);
}, 60_000);
