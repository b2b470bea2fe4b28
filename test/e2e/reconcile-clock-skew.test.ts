import { kvKey } from '../../src/core/keys';
import { reconcileNow, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// A watermark is the start of a pass by the app's clock; what Bitbucket reports is dated by its own.
// Its clock a second behind ours, or an entry that becomes visible a moment after it is dated, and
// something made just after a pass read the repository is dated before that pass started. Its product
// event lost (liveEvents off: none reaches the app), only the next passes can still find it.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'clock-skew', repositories: 2, rateLimitPerHour: 0 } });
  await reconcileNow(sb);
});
afterAll(() => sb.stop());

const repositories = () => [...sb.simulator.model.repositories.values()];
type State = { watermark: number; lastActivityAt: number; lastDeploymentCheckAt: number };
const state = async (uuid: string) => (await sb.host.kvs.get(kvKey('reconcile', 'repo', uuid))) as State;
const setBitbucketClock = (at: number) => sb.setClock(at);
const activityReads = () => sb.simulator.stats().byRoute['GET /repositories/{workspace}/{repo_slug}/pullrequests/activity'];
const deploymentReads = () => sb.simulator.stats().byRoute['GET /repositories/{workspace}/{repo_slug}/deployments'];
const pushedCommits = () => sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').flatMap((d) => ((d.body as any).pandev.commits as Array<{ hash: string }>).map((c) => c.hash));

/** Two passes then an idle one: each repository costs its activity log's first page, plus the workspace query. */
async function expectIdleAfterwards(): Promise<void> {
  const before = new Map(await Promise.all(repositories().map(async (r) => [r.uuid, (await state(r.uuid)).lastActivityAt] as const)));
  sb.simulator.resetStats();
  await reconcileNow(sb);
  expect(activityReads()).toBe(repositories().length);
  expect(sb.simulator.stats().total).toBe(repositories().length + 1);
  // What the pass before delivered does not make the repository look active again.
  for (const repository of repositories()) expect((await state(repository.uuid)).lastActivityAt).toBe(before.get(repository.uuid));
}

// First: Bitbucket's times never go back, and only before the other tests' actions can something be
// dated half a minute before a pass.
it('delivers a deployment dated just before the last deployment check, exactly once', async () => {
  const [repository] = repositories();
  const { lastDeploymentCheckAt: checkedAt } = await state(repository!.uuid);
  // A push and the pipeline it ran, made after that check read the deployments, dated 30 s before it started.
  setBitbucketClock(checkedAt - 31_000);
  const { commits } = sb.simulator.actions.pushCommits({ repository: repository!.slug, commits: 1 });
  const { deploymentUuid } = sb.simulator.actions.runDeployment({ repository: repository!.slug, environment: 'Production', commit: commits[0]! });
  const deployedAt = repository!.deployments.find((d) => d.uuid === deploymentUuid)!.updatedOn / 1000;
  expect(checkedAt - deployedAt).toBeGreaterThan(0);
  sb.sink.clear();
  sb.simulator.resetStats();
  await reconcileNow(sb);
  await reconcileNow(sb);
  // The push makes the first pass read the deployments (the one request for them); the second does not.
  expect(deploymentReads()).toBe(1);
  const steps = () => sb.sink.deliveries().filter((d) => d.eventKey === 'pandev:deployment' && (d.body as any).pandev.deployment.uuid === deploymentUuid).map((d) => (d.body as any).pandev.deployment.action);
  expect(steps().sort()).toEqual(['completed', 'pending', 'started']);
  expect(sb.sink.duplicates()).toBe(0);
  // A change that is no push makes the next pass read the deployments again, down into the overlap
  // that holds this one: already seen, it is no news, and the repository does not look active again.
  const { lastActivityAt } = await state(repository!.uuid);
  setBitbucketClock(Date.now());
  sb.simulator.actions.updateRepository({ repository: repository!.slug, description: 'deployed' });
  sb.sink.clear();
  sb.simulator.resetStats();
  await reconcileNow(sb);
  expect(deploymentReads()).toBe(1);
  expect(sb.sink.deliveries()).toEqual([]);
  expect((await state(repository!.uuid)).lastActivityAt).toBe(lastActivityAt);
  await expectIdleAfterwards();
}, 60_000);

it('delivers an approval and a comment dated just before the watermark, exactly once', async () => {
  const [repository] = repositories();
  const { pullRequestId } = sb.simulator.actions.openPullRequest({ repository: repository!.slug });
  await reconcileNow(sb);
  const { watermark } = await state(repository!.uuid);
  // Made after that pass read the log, dated a second before it started.
  setBitbucketClock(watermark - 1000);
  const { reviewer } = sb.simulator.actions.approvePullRequest({ repository: repository!.slug, pullRequestId });
  const { commentId } = sb.simulator.actions.addComment({ repository: repository!.slug, pullRequestId });
  sb.sink.clear();
  await reconcileNow(sb);
  await reconcileNow(sb);
  const approvals = sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:approved' && (d.body as any).approval.user.uuid === reviewer);
  const comments = sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:comment_created' && (d.body as any).comment.id === commentId);
  expect([approvals.length, comments.length]).toEqual([1, 1]);
  expect(sb.sink.duplicates()).toBe(0);
  await expectIdleAfterwards();
}, 60_000);

it('delivers a push and its build status dated just before the watermark, exactly once', async () => {
  const [, repository] = repositories();
  const branch = [...repository!.branches.keys()][0]!;
  setBitbucketClock(Date.now());
  // A pass reads the refs after a push, so the app knows the branch's tip.
  sb.simulator.actions.pushCommits({ repository: repository!.slug, branch, commits: 1 });
  await reconcileNow(sb);
  await reconcileNow(sb);
  const { watermark } = await state(repository!.uuid);
  // Bitbucket's times never go back: the push is dated after the one before, yet before the watermark.
  const dated = Math.max(watermark - 1000, Math.floor(repository!.updatedOn / 1000) + 1);
  expect(dated).toBeLessThan(watermark);
  setBitbucketClock(dated);
  const { commits } = sb.simulator.actions.pushCommits({ repository: repository!.slug, branch, commits: 1 });
  sb.simulator.actions.setBuildStatus({ repository: repository!.slug, commit: commits[0]!, key: 'ci', state: 'SUCCESSFUL' });
  sb.sink.clear();
  await reconcileNow(sb);
  await reconcileNow(sb);
  expect(pushedCommits()).toEqual(commits);
  const statuses = sb.sink.deliveries().filter((d) => d.eventKey.startsWith('repo:commit_status_') && JSON.stringify(d.body).includes(commits[0]!));
  expect(statuses).toHaveLength(1);
  expect(sb.sink.duplicates()).toBe(0);
  await expectIdleAfterwards();
}, 60_000);
