import { kvKey } from '../../src/core/keys';
import { reconcileNow, testSandbox, type TestSandbox } from './helpers';

// One pull request Bitbucket lists in an unexpected shape (a field of another type) must not fail its
// repository's pass: the others' changes are reconciled and delivered, the watermark moves on, and
// the bad one is read on its own, or, malformed there too, left out with its reason, counted.

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, tuning: { deliveryTimeoutMs: 5000 }, simulator: { seed: 'reconcile-bad-item', repositories: 2, rateLimitPerHour: 0 } })));
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
  expect(left[0]).toMatchObject({ repository: repo().uuid, detail: expect.stringMatching(new RegExp(`#${bad}.*unexpected shape \\(state`)) });
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
