import { reconcileNow, reconcilePasses, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// Deployments have no feed of their own: the reconciliation reads the repository's list, newest first.
// A busy pipeline makes more than a page of them between two checks; the check reads down to the one
// before, not its first page only.

let sb: TestSandbox;
afterAll(() => sb.stop());

it('delivers every deployment made since the last check, beyond the first page of 100', async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'deployment-pages', repositories: 1, rateLimitPerHour: 0 } });
  await reconcileNow(sb);
  const repository = [...sb.simulator.model.repositories.values()][0]!;
  sb.sink.clear();
  const made = new Set<string>();
  for (let i = 0; i < 130; i++) made.add(sb.simulator.actions.runDeployment({ repository: repository.slug, environment: 'Production' }).deploymentUuid);
  // The daily check of a quiet repository is due.
  for (const key of reconcilePasses(sb)) await sb.host.kvs.set(key, { ...((await sb.host.kvs.get(key)) as object), lastDeploymentCheckAt: Date.now() - 25 * 3_600_000 });
  const pagesBefore = sb.simulator.stats().byRoute['GET /repositories/{workspace}/{repo_slug}/deployments'] ?? 0;
  await reconcileNow(sb);
  const delivered = new Set(sb.sink.deliveries().filter((d) => d.eventKey === 'pandev:deployment').map((d) => (d.body as { deployment: { uuid: string } }).deployment.uuid));
  expect([...made].filter((uuid) => !delivered.has(uuid))).toEqual([]);
  // Two pages: the second holds the rest and the deployments from before the check.
  expect((sb.simulator.stats().byRoute['GET /repositories/{workspace}/{repo_slug}/deployments'] ?? 0) - pagesBefore).toBe(2);
});

it('reads at most 1,000 deployments a check: the newest go, the rest are counted as beyond the limit with that reason, not as malformed', async () => {
  const repository = [...sb.simulator.model.repositories.values()][0]!;
  sb.sink.clear();
  const made: string[] = [];
  for (let i = 0; i < 1_010; i++) made.push(sb.simulator.actions.runDeployment({ repository: repository.slug, environment: 'Production' }).deploymentUuid);
  for (const key of reconcilePasses(sb)) await sb.host.kvs.set(key, { ...((await sb.host.kvs.get(key)) as object), lastDeploymentCheckAt: Date.now() - 25 * 3_600_000 });
  const pagesBefore = sb.simulator.stats().byRoute['GET /repositories/{workspace}/{repo_slug}/deployments'] ?? 0;
  await reconcileNow(sb);
  expect((sb.simulator.stats().byRoute['GET /repositories/{workspace}/{repo_slug}/deployments'] ?? 0) - pagesBefore).toBe(10);
  const delivered = new Set(sb.sink.deliveries().filter((d) => d.eventKey === 'pandev:deployment').map((d) => (d.body as { deployment: { uuid: string } }).deployment.uuid));
  expect(made.filter((uuid) => delivered.has(uuid))).toHaveLength(1_000);
  const dropped = await Promise.all(sb.host.kvs.keys('dropped:').map(async (key) => (await sb.host.kvs.get(key)) as { reason: string; detail: string; repository?: string }));
  expect(dropped.filter((d) => d.reason === 'malformed-in-bitbucket')).toEqual([]);
  expect(dropped.filter((d) => d.reason === 'beyond-read-limit')).toEqual([
    expect.objectContaining({ repository: repository.uuid, detail: expect.stringMatching(/^Bitbucket listed more than 1000 deployments since the check before; the newest 1000 were sent and the older ones were not read\. PanDev's deployment figures miss the older ones/) }),
  ]);
  expect(sb.logs.filter((line) => /left out of the reconciliation: Bitbucket listed more than 1000 deployments/.test(line.message))).toHaveLength(1);
}, 120_000);
