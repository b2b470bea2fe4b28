import { keyPart } from '../../src/core/keys';
import { reconcileNow, testSandbox, type TestSandbox } from './helpers';

// A selected repository deleted in Bitbucket: the reconciliation's list of repositories is read again
// only hourly, so until then it names the deleted one. Once a pass has found it gone (its feed and its
// repository object both 404), the passes stop asking Bitbucket for it until the list is read anew.

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, simulator: { seed: 'reconcile-gone', repositories: 3, rateLimitPerHour: 0 } })));
afterAll(() => sb.stop());

const ACTIVITY = 'GET /repositories/{workspace}/{repo_slug}/pullrequests/activity';
const failures = () => sb.logs.filter((line) => /reconciliation of a repository failed/.test(line.message)).length;

it('asks for a deleted repository once, not on every pass', async () => {
  await reconcileNow(sb);
  const [gone] = [...sb.simulator.model.repositories.values()];
  sb.simulator.actions.deleteRepository({ repository: gone!.slug });
  sb.simulator.resetStats();
  const failed = failures();
  await reconcileNow(sb);
  await reconcileNow(sb);
  await reconcileNow(sb);
  // The other two, three passes each; the deleted one's single 404.
  expect(sb.simulator.stats().byRoute[ACTIVITY]).toBe(2 * 3 + 1);
  expect(failures() - failed).toBe(0);
}, 60_000);

it('takes a 404 from a repository that is still there for a failed pass, asked again at the next one', async () => {
  const [, back] = [...sb.simulator.model.repositories.values()];
  sb.simulator.faults.add({ path: `(${back!.uuid.replace(/[{}]/g, '')}[^/]*|/${back!.slug})/pullrequests/activity`, status: 404, times: 1 });
  const failed = failures();
  await reconcileNow(sb);
  // The repository object answers: not deleted, so the pass failed and says so.
  expect(failures() - failed).toBe(1);
  sb.simulator.resetStats();
  await reconcileNow(sb);
  // Both repositories still there are read at the next pass, the one the 404 came from included.
  expect(sb.simulator.stats().byRoute[ACTIVITY]).toBe(2);
}, 60_000);

it('forgets a deleted repository\'s pass state a day after finding it gone; a live one\'s stays', async () => {
  // The first test deleted one of the three.
  const [live, gone] = [...sb.simulator.model.repositories.values()];
  sb.simulator.actions.deleteRepository({ repository: gone!.slug });
  await reconcileNow(sb);
  const stateOf = (uuid: string) => `reconcile:repo:${keyPart(uuid)}`;
  expect(sb.host.kvs.keys('reconcile:repo:')).toEqual(expect.arrayContaining([stateOf(live!.uuid), stateOf(gone!.uuid)]));
  // Two days on: the list of repositories, read hourly, no longer names it, so nothing reads that state again.
  const now = Date.now();
  jest.spyOn(Date, 'now').mockReturnValue(now + 2 * 86_400_000);
  try {
    const kept = sb.host.kvs.keys('reconcile:repo:');
    expect(kept).toContain(stateOf(live!.uuid));
    expect(kept).not.toContain(stateOf(gone!.uuid));
  } finally {
    jest.restoreAllMocks();
  }
}, 60_000);
