import { refStateKey } from '../../src/core/pipeline/ref-state';
import { manualEvents, reconcileNow, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// A Forge function can be stopped at any write. Staging puts a change in the outbox first and only
// then records what later changes are read against (a ref's tip): stopped between the two, the change
// must reach PanDev once, under its one id, whichever source finds it again.

let sb: TestSandbox;
// No platform retry: the stopped consumer's message is not run again (Forge promises none), so the
// sweep and the reconciliation are what find the change. The sweep takes an entry as soon as it is late.
beforeAll(async () => (sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 0, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS, sweepGraceSeconds: 0 }, simulator: { seed: 'stopped-after-staging', repositories: 1, rateLimitPerHour: 0 } })));
afterAll(() => sb.stop());

const { act, fire } = manualEvents(() => sb);

type PushBody = { push: { changes: Array<{ new: { target: { hash: string } } | null }> }; pandev: { commits: Array<{ hash: string }> } };

it('delivers a live push once when its consumer stopped after staging it, before recording the ref\'s tip', async () => {
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  const branch = repo.mainBranch;
  const push = (commits: number) => act(() => sb.simulator.actions.pushCommits({ repository: repo.slug, branch, commits }));
  // The first pass sets the watermark; a live push delivered whole records the branch's tip.
  await reconcileNow(sb);
  await fire(push(1));
  sb.sink.clear();

  const stopped = push(2);
  const tip = repo.branches.get(branch)!;
  // The first storage call on the ref's tip once the push is in the outbox is refused: the consumer
  // stops there, its delivery staged and not attempted, the tip still where the push started.
  sb.host.throttleStorage((key) => key === refStateKey(repo.uuid, 'branch', branch) && sb.host.kvs.keys('outbox:').length > 0, 1);
  await fire(stopped);
  expect(sb.host.kvs.keys('outbox:')).toHaveLength(1);
  // The sweep delivers the entry; then the reconciliation reads the branch, moved since the tip it has.
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  await reconcileNow(sb);
  // The branch goes on: its next push, live, and the next pass.
  await fire(push(1));
  await reconcileNow(sb);

  const pushes = sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').map((d) => d.body as PushBody);
  expect(pushes.map((body) => body.push.changes[0]?.new?.target.hash)).toEqual([tip, repo.branches.get(branch)]);
  // Each commit once: the push after it was not taken to start after a gap holding this one's commits.
  const commits = pushes.flatMap((body) => body.pandev.commits.map((c) => c.hash));
  expect(commits).toHaveLength(3);
  expect(new Set(commits).size).toBe(3);
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
}, 60_000);
