import { kvKey } from '../../src/core/keys';
import { reconcileNow, shortLimitSandbox, type TestSandbox } from './helpers';

// One busy repository behind a slow Bitbucket: many pages of activity since its watermark and many
// moved branches, each answer two seconds late. Its pass alone is longer than the consumer's limit
// (120 s, scaled here to a fifth: 24 s, and the host stops a function at it, as Forge does). The pass
// must stop between requests, record what it finished, and the next pass carry on from there.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await shortLimitSandbox('repository-deadline', 1, 50);
  // The first pass sets the watermark; what follows happens after it.
  await reconcileNow(sb);
});
afterAll(() => sb.stop());

it('stops one repository’s pass between requests before the consumer is cut off, and the next pass reads on with no gap and no duplicate', async () => {
  const { simulator: sim, sink } = sb;
  const repository = [...sim.model.repositories.values()][0]!;
  const { pullRequestId } = sim.actions.openPullRequest({ repository: repository.slug });
  // 500 comments: ten pages of the activity log at 50, inside the 20 pages one pass may read.
  const comments: number[] = [];
  for (let i = 0; i < 500; i++) comments.push(sim.actions.addComment({ repository: repository.slug, pullRequestId }).commentId);
  const pushed = [...repository.branches.keys()].flatMap((branch) => sim.actions.pushCommits({ repository: repository.slug, branch, commits: 1 }).commits);
  // CI reports on each pushed tip before the slow pass: a pass that puts the refs off must not lose these.
  for (const commit of pushed) sim.actions.setBuildStatus({ repository: repository.slug, commit, key: 'ci', state: 'SUCCESSFUL' });
  sink.clear();
  // Every read inside the repository is slow; the workspace's list and query (the tick's) are not.
  const slow = sim.faults.add({ path: '^/2\\.0/repositories/[^/]+/[^/]+/', latencyMs: 2000 });

  await reconcileNow(sb);
  expect(sb.logs.filter((line) => /ran past its/.test(line.message)).map((line) => line.message)).toEqual([]);
  const commented = () => new Set(sink.deliveries().filter((d) => d.eventKey === 'pullrequest:comment_created').map((d) => (d.body as any).comment.id as number));
  // It finished part of the activity, delivered it, and owes the rest.
  expect(commented().size).toBeGreaterThan(0);
  expect(commented().size).toBeLessThan(comments.length);
  expect(await sb.host.kvs.get(kvKey('reconcile', 'repo', repository.uuid))).toMatchObject({ activityBacklog: { next: expect.any(String) } });

  sim.faults.remove(slow);
  await reconcileNow(sb);
  expect(comments.filter((id) => !commented().has(id))).toEqual([]);
  const pushedDelivered = new Set(sink.deliveries().filter((d) => d.eventKey === 'repo:push').flatMap((d) => ((d.body as any).pandev.commits as Array<{ hash: string }>).map((c) => c.hash)));
  expect(pushed.filter((hash) => !pushedDelivered.has(hash))).toEqual([]);
  const statuses = sink.deliveries().filter((d) => d.eventKey.startsWith('repo:commit_status_')).map((d) => (d.body as any).commit_status.commit.hash as string);
  expect(statuses.sort()).toEqual([...pushed].sort());
  expect(await sb.host.kvs.get(kvKey('reconcile', 'repo', repository.uuid))).not.toHaveProperty('activityBacklog');
  expect(sink.duplicates()).toBe(0);
}, 180_000);
