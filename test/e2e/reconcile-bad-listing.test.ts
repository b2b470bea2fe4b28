import { kvKey } from '../../src/core/keys';
import { reconcileNow, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// The listings a reconciliation reads beside a repository's own feeds (the workspace's repositories,
// the workspace query for pushes, a repository's deployment environments): one item in an unexpected
// shape is left out with its reason, and the rest of the workspace is reconciled and delivered.

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'reconcile-bad-listing', repositories: 2, rateLimitPerHour: 0 } })));
afterAll(() => sb.stop());
beforeEach(() => sb.simulator.faults.clear());

const repos = () => [...sb.simulator.model.repositories.values()];
const uuidPath = (repo = repos()[0]!) => `(${repo.uuid.replace(/[{}]/g, '')}[^/]*|/${repo.slug})`;
const LIST = '^/2\\.0/repositories/[^/]+$';
const watermark = async (repo = repos()[0]!) => ((await sb.host.kvs.get(kvKey('reconcile', 'repo', repo.uuid))) as { watermark: number } | undefined)?.watermark ?? 0;
const createdIn = (repo: { uuid: string }) => sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created' && (d.body as any).repository.uuid === repo.uuid);
const forgetIndex = async () => {
  for (const key of sb.host.kvs.keys('reconcile:index')) await sb.host.kvs.delete(key);
};

it('names the deployments of a repository whose environments list holds one in an unexpected shape', async () => {
  const repo = repos()[0]!;
  await reconcileNow(sb);
  sb.sink.clear();
  sb.simulator.actions.pushCommits({ repository: repo.slug, commits: 1 });
  const deployed = sb.simulator.actions.runDeployment({ repository: repo.slug, environment: 'Test' }).deploymentUuid;
  const test = repo.environments.find((environment) => environment.name === 'Test')!;
  // Named by UUID only, so the environments list is read; another environment there is malformed.
  sb.simulator.faults.add({ method: 'GET', path: `${uuidPath()}/deployments/?$`, corruptItem: { where: { uuid: deployed }, set: { environment: { type: 'deployment_environment', uuid: test.uuid } } } });
  sb.simulator.faults.add({ method: 'GET', path: `${uuidPath()}/environments/?$`, corruptItem: { where: { name: 'Staging' }, set: { uuid: null } } });
  const before = await watermark();
  await reconcileNow(sb);
  expect(await watermark()).toBeGreaterThan(before);
  const bodies = sb.sink.deliveries().filter((d) => d.eventKey === 'pandev:deployment' && (d.body as any).deployment.uuid === deployed).map((d) => d.body as any);
  expect(bodies.length).toBeGreaterThan(0);
  expect(bodies.every((body) => body.environment.name === 'Test')).toBe(true);
  const dropped = await Promise.all(sb.host.kvs.keys('dropped:').map(async (key) => (await sb.host.kvs.get(key)) as { reason: string; detail: string }));
  expect(dropped.filter((d) => /environment "Staging".*unexpected shape \(uuid/.test(d.detail))).toHaveLength(1);
}, 60_000);

it('reconciles the rest of the workspace when its repository list holds one in an unexpected shape', async () => {
  const [bad, good] = repos();
  await reconcileNow(sb);
  await forgetIndex();
  sb.sink.clear();
  const [author] = sb.simulator.model.users.map((u) => u.uuid);
  sb.simulator.actions.openPullRequest({ repository: good!.slug, author });
  sb.simulator.actions.pushCommits({ repository: bad!.slug, commits: 1 });
  // The repository list and the workspace query for pushes share the path: both list it so.
  sb.simulator.faults.add({ method: 'GET', path: LIST, corruptItem: { where: { uuid: bad!.uuid }, set: { uuid: null } } });
  const before = await watermark(good);
  await reconcileNow(sb);
  expect(createdIn(good!)).toHaveLength(1);
  expect(await watermark(good)).toBeGreaterThan(before);
  expect(sb.logs.some((line) => /left out of the reconciliation's repository list/.test(line.message) && line.message.includes(bad!.slug))).toBe(true);
}, 60_000);

it('reconciles the rest of the workspace when the query for pushes lists one repository in an unexpected shape', async () => {
  const [bad, good] = repos();
  await forgetIndex();
  await reconcileNow(sb);
  sb.sink.clear();
  const [author] = sb.simulator.model.users.map((u) => u.uuid);
  sb.simulator.actions.openPullRequest({ repository: good!.slug, author });
  sb.simulator.actions.pushCommits({ repository: bad!.slug, commits: 1 });
  // The repository list is kept for an hour: only the query for pushes reads the listing now.
  sb.simulator.faults.add({ method: 'GET', path: LIST, corruptItem: { where: { uuid: bad!.uuid }, set: { uuid: null } } });
  const before = await watermark(good);
  await reconcileNow(sb);
  expect(createdIn(good!)).toHaveLength(1);
  expect(await watermark(good)).toBeGreaterThan(before);
  expect(sb.logs.some((line) => /left out of the query for pushed repositories/.test(line.message) && line.message.includes(bad!.slug))).toBe(true);
}, 60_000);
