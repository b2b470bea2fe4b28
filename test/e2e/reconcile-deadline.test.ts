import { keyPart } from '../../src/core/keys';
import { reconcilePasses, shortLimitSandbox, type TestSandbox } from './helpers';

// A reconciliation batch runs in the queue consumer, which Forge stops at its time limit (120 s). A
// batch of busy repositories behind a slow Bitbucket must end on its own before then: record the
// repositories it finished, queue what it staged, and leave the rest due for the next tick. Here the
// limit is scaled to a fifth (24 s) and the host stops a function at it, as Forge does.

const REPOSITORIES = 15;

let sb: TestSandbox;
beforeAll(async () => {
  sb = await shortLimitSandbox('deadline', REPOSITORIES, 10);
});
afterAll(() => sb.stop());

/** The repositories whose new pull request PanDev received. */
function repositoriesDelivered(): Set<string> {
  const created = sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created');
  return new Set(created.map((d) => keyPart((d.body as { repository: { uuid: string } }).repository.uuid)));
}

const passed = () => new Set(reconcilePasses(sb).map((key) => key.slice('reconcile:repo:'.length)));

it('stops starting repositories before the consumer is cut off, delivers what it found, and leaves the rest due', async () => {
  const { simulator: sim } = sb;
  const [author] = sim.model.users.map((u) => u.uuid);
  // Product events never reach the app (liveEvents off): only the reconciliation finds these.
  for (const repo of sim.model.repositories.values()) sim.actions.openPullRequest({ repository: repo.slug, author });
  const slow = sim.faults.add({ path: '/pullrequests/activity$', latencyMs: 2000 });

  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(sb.logs.filter((line) => /ran past its/.test(line.message)).map((line) => line.message)).toEqual([]);
  const first = passed();
  expect(first.size).toBeGreaterThan(0);
  expect(first.size).toBeLessThan(REPOSITORIES);
  // What the finished repositories held reached PanDev with the batch, not with a later sweep.
  expect(repositoriesDelivered()).toEqual(first);
  expect(sb.logs.some((line) => /reconciliation batch stopped for lack of time/.test(line.message))).toBe(true);

  sim.faults.remove(slow);
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(passed().size).toBe(REPOSITORIES);
  expect(repositoriesDelivered().size).toBe(REPOSITORIES);
  expect(sb.sink.duplicates()).toBe(0);
}, 180_000);
