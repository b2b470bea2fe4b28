import { kvKey } from '../../src/core/keys';
import { reconcileNow, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// One pull request Bitbucket lists in an unexpected shape (a field of another type) must not fail its
// repository's pass: the others' changes are reconciled and delivered, the watermark moves on, and
// the bad one is read on its own, or, malformed there too, left out with its reason, counted.

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'reconcile-bad-item', repositories: 2, rateLimitPerHour: 0 } })));
afterAll(() => sb.stop());
beforeEach(() => sb.simulator.faults.clear());

const repo = () => [...sb.simulator.model.repositories.values()][0]!;
const uuidPath = () => `(${repo().uuid.replace(/[{}]/g, '')}[^/]*|/${repo().slug})`;
const failures = () => sb.logs.filter((line) => /reconciliation of a repository failed/.test(line.message)).length;
const watermark = async () => ((await sb.host.kvs.get(kvKey('reconcile', 'repo', repo().uuid))) as { watermark: number }).watermark;
const createdFor = (id: number) => sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created' && (d.body as any).pullrequest.id === id);

function openTwo() {
  const repository = repo().slug;
  const [author, reviewer] = sb.simulator.model.users.map((u) => u.uuid);
  const good = sb.simulator.actions.openPullRequest({ repository, author }).pullRequestId;
  const bad = sb.simulator.actions.openPullRequest({ repository, author }).pullRequestId;
  sb.simulator.actions.approvePullRequest({ repository, pullRequestId: good, reviewer });
  return { good, bad };
}

it('reconciles the rest of a repository whose list holds one malformed pull request, and reads that one on its own', async () => {
  await reconcileNow(sb);
  sb.sink.clear();
  const { good, bad } = openTwo();
  sb.simulator.faults.add({ method: 'GET', path: `${uuidPath()}/pullrequests$`, corruptItem: { id: bad, set: { updated_on: 1_700_000_000_000 } } });
  const failed = failures();
  const before = await watermark();
  await reconcileNow(sb);
  expect(failures() - failed).toBe(0);
  expect(createdFor(good)).toHaveLength(1);
  expect(sb.sink.deliveries().some((d) => d.eventKey === 'pullrequest:approved' && (d.body as any).pullrequest.id === good)).toBe(true);
  // Its own endpoint answers it whole: nothing of it is lost.
  expect(createdFor(bad)).toHaveLength(1);
  expect(await watermark()).toBeGreaterThan(before);
}, 60_000);

it('leaves out a pull request malformed on its own endpoint too, with its reason, and passes the rest', async () => {
  sb.sink.clear();
  const { good, bad } = openTwo();
  sb.simulator.faults.add({ method: 'GET', path: `${uuidPath()}/pullrequests$`, corruptItem: { id: bad, set: { updated_on: 1_700_000_000_000 } } });
  sb.simulator.faults.add({ method: 'GET', path: `${uuidPath()}/pullrequests/${bad}$`, status: 200, body: `{"type": "pullrequest", "id": ${bad}, "updated_on": 17}` });
  const failed = failures();
  const before = await watermark();
  await reconcileNow(sb);
  expect(failures() - failed).toBe(0);
  expect(createdFor(good)).toHaveLength(1);
  expect(createdFor(bad)).toHaveLength(0);
  expect(await watermark()).toBeGreaterThan(before);
  const dropped = await Promise.all(sb.host.kvs.keys('dropped:').map(async (key) => (await sb.host.kvs.get(key)) as { reason: string; detail: string; repository?: string }));
  const left = dropped.filter((d) => d.reason === 'malformed-in-bitbucket');
  expect(left).toHaveLength(1);
  expect(left[0]).toMatchObject({ repository: repo().uuid, detail: expect.stringMatching(new RegExp(`#${bad}.*unexpected shape \\(state: missing, where the app needs a string\\).*report Bitbucket's answer for it \\(this reason\\) to Atlassian support$`)) });
  expect(sb.logs.some((line) => /left out of the reconciliation: Bitbucket answered a pull request/.test(line.message))).toBe(true);
}, 60_000);

it('passes the rest of a repository whose activity log holds one malformed entry, and counts the entry left out', async () => {
  sb.sink.clear();
  const { good } = openTwo();
  // The newest entry, the approval of `good`: its date of another type.
  sb.simulator.faults.add({ method: 'GET', path: `${uuidPath()}/pullrequests/activity$`, corruptItem: { index: 0, set: { approval: { date: 17, user: { type: 'user' } } } } });
  const failed = failures();
  const before = await watermark();
  await reconcileNow(sb);
  expect(failures() - failed).toBe(0);
  expect(createdFor(good)).toHaveLength(1);
  expect(await watermark()).toBeGreaterThan(before);
  const dropped = await Promise.all(sb.host.kvs.keys('dropped:').map(async (key) => (await sb.host.kvs.get(key)) as { reason: string; detail: string }));
  expect(dropped.filter((d) => d.reason === 'malformed-in-bitbucket' && /activity.*approval\.date/.test(d.detail))).toHaveLength(1);
  // The entry stays on the log's first page, which every pass reads: it is one entry left out, counted once.
  await reconcileNow(sb);
  const again = await Promise.all(sb.host.kvs.keys('dropped:').map(async (key) => (await sb.host.kvs.get(key)) as { reason: string; detail: string }));
  expect(again.filter((d) => d.reason === 'malformed-in-bitbucket' && /activity.*approval\.date/.test(d.detail))).toHaveLength(1);
}, 60_000);

// The other feeds a pass reads (branches and tags, a push's commits, a tip's build statuses,
// deployments) are checked item by item the same way: one bad item is left out, counted and logged,
// and the rest of the repository is passed.

const drops = async (pattern: RegExp) => (await Promise.all(sb.host.kvs.keys('dropped:').map(async (key) => (await sb.host.kvs.get(key)) as { reason: string; detail: string; repository?: string })))
  .filter((d) => d.reason === 'malformed-in-bitbucket' && pattern.test(d.detail));
const pushesOf = (branch: string) => sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push' && (d.body as any).push.changes.some((c: any) => c.new?.name === branch));

async function passedWithoutFailure(): Promise<void> {
  const failed = failures();
  const before = await watermark();
  await reconcileNow(sb);
  expect(failures() - failed).toBe(0);
  expect(await watermark()).toBeGreaterThan(before);
}

it('passes the other branches of a repository whose refs list one malformed branch, counting it once while it stays', async () => {
  const repository = repo().slug;
  sb.simulator.actions.createBranch({ repository, name: 'feeds-good' });
  sb.simulator.actions.createBranch({ repository, name: 'feeds-bad' });
  await reconcileNow(sb);
  sb.sink.clear();
  sb.simulator.actions.pushCommits({ repository, branch: 'feeds-good', commits: 1 });
  sb.simulator.actions.pushCommits({ repository, branch: 'feeds-bad', commits: 1 });
  sb.simulator.faults.add({ method: 'GET', path: `${uuidPath()}/refs$`, corruptItem: { where: { name: 'feeds-bad' }, set: { type: 17 } } });
  await passedWithoutFailure();
  expect(pushesOf('feeds-good')).toHaveLength(1);
  expect(pushesOf('feeds-bad')).toHaveLength(0);
  expect(await drops(/"feeds-bad".*unexpected shape \(type/)).toEqual([expect.objectContaining({ repository: repo().uuid })]);
  expect(sb.logs.some((line) => /left out of the reconciliation/.test(line.message) && /feeds-bad/.test(JSON.stringify(line)))).toBe(true);
  // Still malformed at the next push, after a pass that read no refs: the same branch left out, not counted again.
  await passedWithoutFailure();
  sb.simulator.actions.pushCommits({ repository, branch: 'feeds-good', commits: 1 });
  await passedWithoutFailure();
  expect(pushesOf('feeds-good')).toHaveLength(2);
  expect(await drops(/"feeds-bad"/)).toHaveLength(1);
}, 60_000);

it('delivers a push without the one commit Bitbucket answers in an unexpected shape', async () => {
  const repository = repo().slug;
  await reconcileNow(sb);
  sb.sink.clear();
  const { commits } = sb.simulator.actions.pushCommits({ repository, branch: 'feeds-good', commits: 3 });
  const bad = commits[1]!;
  sb.simulator.faults.add({ method: 'GET', path: `${uuidPath()}/commits$`, corruptItem: { where: { hash: bad }, set: { parents: 17 } } });
  await passedWithoutFailure();
  const [push] = pushesOf('feeds-good');
  expect(((push!.body as any).pandev.commits as Array<{ hash: string }>).map((c) => c.hash).sort()).toEqual([commits[0], commits[2]].sort());
  expect(await drops(new RegExp(`commit ${bad.slice(0, 12)}.*unexpected shape \\(parents`))).toHaveLength(1);
}, 60_000);

it('delivers the other build statuses of a moved tip when one is malformed', async () => {
  const repository = repo().slug;
  await reconcileNow(sb);
  sb.sink.clear();
  const { commits } = sb.simulator.actions.pushCommits({ repository, branch: 'feeds-good', commits: 1 });
  sb.simulator.actions.setBuildStatus({ repository, commit: commits[0]!, key: 'good-ci', state: 'SUCCESSFUL' });
  sb.simulator.actions.setBuildStatus({ repository, commit: commits[0]!, key: 'bad-ci', state: 'SUCCESSFUL' });
  sb.simulator.faults.add({ method: 'GET', path: `${uuidPath()}/commit/[^/]+/statuses$`, corruptItem: { where: { key: 'bad-ci' }, set: { state: 17 } } });
  await passedWithoutFailure();
  const statuses = sb.sink.deliveries().filter((d) => d.eventKey.startsWith('repo:commit_status_')).map((d) => (d.body as any).commit_status.key);
  expect(statuses).toContain('good-ci');
  expect(statuses).not.toContain('bad-ci');
  expect(await drops(/build status "bad-ci".*unexpected shape \(state/)).toHaveLength(1);
}, 60_000);

it('delivers the other deployments when one is malformed', async () => {
  const repository = repo().slug;
  await reconcileNow(sb);
  sb.sink.clear();
  sb.simulator.actions.pushCommits({ repository, branch: 'feeds-good', commits: 1 });
  const good = sb.simulator.actions.runDeployment({ repository, environment: 'Test' }).deploymentUuid;
  const bad = sb.simulator.actions.runDeployment({ repository, environment: 'Staging' }).deploymentUuid;
  sb.simulator.faults.add({ method: 'GET', path: `${uuidPath()}/deployments/?$`, corruptItem: { where: { uuid: bad }, set: { state: 17 } } });
  await passedWithoutFailure();
  const deployed = sb.sink.deliveries().filter((d) => d.eventKey === 'pandev:deployment').map((d) => JSON.stringify(d.body));
  expect(deployed.some((body) => body.includes(good))).toBe(true);
  expect(deployed.some((body) => body.includes(bad))).toBe(false);
  expect(await drops(new RegExp(`deployment ${bad.replace(/[{}]/g, '.')}.*unexpected shape \\(state`))).toHaveLength(1);
}, 60_000);

it("delivers a push whose commit's author Bitbucket matched to an account without a type: the raw name kept, saying why the account went", async () => {
  const repository = repo().slug;
  await reconcileNow(sb);
  sb.sink.clear();
  const raw = 'Dana Developer <dana@example.com>';
  const { commits } = sb.simulator.actions.pushCommits({ repository, branch: 'feeds-good', commits: 2 });
  sb.simulator.faults.add({ method: 'GET', path: `${uuidPath()}/commits$`, corruptItem: { where: { hash: commits[0]! }, set: { author: { type: 'author', raw, user: { uuid: '{4d1f0c2e-0000-4000-8000-00000000a17e}', type: null } } } } });
  const logged = sb.logs.length;
  await passedWithoutFailure();
  const [push] = pushesOf('feeds-good');
  expect(((push!.body as any).pandev.commits as Array<{ hash: string; author: unknown }>).find((c) => c.hash === commits[0])).toMatchObject({ author: { raw, uuid: null, account_id: null } });
  const said = sb.logs.slice(logged).filter((line) => line.message.includes(`commit ${commits[0]!.slice(0, 12)}: its author's account left out`));
  expect(said.map((line) => line.message)).toEqual([expect.stringContaining('type: null, where the app needs a string')]);
}, 60_000);
