import { kvKey } from '../../src/core/keys';
import { CLOCK_ALLOWANCE_MS } from '../../src/core/reconcile/clock-allowance';
import { reconcileNow, shortLimitSandbox, type TestSandbox } from './helpers';

// A pass that reads the rest an earlier pass owed of the activity log must find the pull requests the
// rest names. It listed every pull request updated since the oldest entry it read, newest first: here
// most of 600, a dozen list pages, to reach the few dozen the owed pages name. Behind a slow Bitbucket (two seconds
// an answer, the consumer's limit scaled to 24 s) that pass ran past the limit, was stopped mid-pass
// on every retry and recorded nothing. It must stop between requests and owe the rest.

const OPENED = 600;

let sb: TestSandbox;
beforeAll(async () => {
  sb = await shortLimitSandbox('reconcile-pull-request-pages', 1, 50);
  await reconcileNow(sb);
});
afterAll(() => sb.stop());

it('reads an owed page’s pull requests within the consumer’s limit, and delivers each one once', async () => {
  const { simulator: sim, sink } = sb;
  const repository = [...sim.model.repositories.values()][0]!;
  const key = kvKey('reconcile', 'repo', repository.uuid);
  // The log is read down to the watermark's overlap (clock-allowance.ts).
  const floor = ((await sb.host.kvs.get(key)) as { watermark: number }).watermark - CLOCK_ALLOWANCE_MS;
  const opened: number[] = [];
  for (let i = 0; i < OPENED; i++) {
    // Declined at once: a later push to the shared branch updates no open pull request.
    const { pullRequestId } = sim.actions.openPullRequest({ repository: repository.slug, sourceBranch: 'feature/bulk', commits: 1 });
    sim.actions.declinePullRequest({ repository: repository.slug, pullRequestId });
    opened.push(pullRequestId);
    // Loopback connections kept alive stay served (a loop that holds the event loop for seconds outlives them).
    if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  // Two entries each: one pass reads 20 pages of 50 and owes the oldest four.
  await reconcileNow(sb);
  expect(await sb.host.kvs.get(key)).toMatchObject({ activityBacklog: { floor } });

  const slow = sim.faults.add({ path: '^/2\\.0/repositories/[^/]+/[^/]+/', latencyMs: 2000 });
  await reconcileNow(sb);
  expect(sb.logs.filter((line) => /ran past its/.test(line.message)).map((line) => line.message)).toEqual([]);
  // The pass ended on its own and owes the rest again.
  expect(await sb.host.kvs.get(key)).toMatchObject({ activityBacklog: { floor }, lastPassAt: expect.any(Number) });
  expect(await sb.host.kvs.get(key)).not.toHaveProperty('error');
  sim.faults.remove(slow);
  await reconcileNow(sb);
  expect(await sb.host.kvs.get(key)).not.toHaveProperty('activityBacklog');
  const declined = new Set(sink.deliveries().filter((d) => d.eventKey === 'pullrequest:rejected').map((d) => (d.body as any).pullrequest.id as number));
  expect(opened.filter((id) => !declined.has(id))).toEqual([]);
  expect(sink.duplicates()).toBe(0);
}, 240_000);
