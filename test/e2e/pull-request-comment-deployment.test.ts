import type { ForgeEvent } from '../../src/sandbox/cloud-sim';
import { PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// The comment's production update when Forge's events arrive out of order: the app forwards each event
// as the local Forge host receives it, and the test decides the order, as a late trigger would.

let sb: TestSandbox;
afterEach(() => sb.stop());

const TOKEN = 'pandev-metrics-dora';
const repository = () => [...sb.simulator.model.repositories.values()][0]!;
const ours = (pullRequestId: number) => repository().pullRequests.get(pullRequestId)!.comments.filter((c) => !c.deleted && c.userUuid === sb.simulator.model.app.uuid);

/** Fires the simulator's events from `from` on, in their order, except those `held` names; returns the held ones. */
async function deliver(from: number, held: (event: ForgeEvent) => boolean = () => false): Promise<ForgeEvent[]> {
  const kept: ForgeEvent[] = [];
  for (const event of sb.fired.slice(from)) {
    if (held(event)) kept.push(event);
    else await sb.host.fireEvent(event as ForgeEvent & { eventType: string });
  }
  await sb.settle();
  return kept;
}

/**
 * A merged pull request whose comment waits for production: a commit on top of the merge goes to
 * production, and its push's trigger comes late (or only the reconciliation finds it), so when the
 * deployment is recorded the app cannot yet tell it includes the merge. Returns the held push.
 */
async function deployedBeforeItsPush(): Promise<{ id: number; push: ForgeEvent }> {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, simulator: { repositories: 1 }, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS } });
  const a = sb.simulator.actions;
  const repo = repository().slug;
  const { pullRequestId: id } = a.openPullRequest({ repository: repo, title: 'Add request tracing', commits: 2 });
  a.approvePullRequest({ repository: repo, pullRequestId: id });
  a.mergePullRequest({ repository: repo, pullRequestId: id });
  await deliver(0);
  expect(ours(id)).toHaveLength(1);
  expect(ours(id)[0]!.raw).toContain(TOKEN);

  const from = sb.fired.length;
  const { commits } = a.pushCommits({ repository: repo, commits: 1 });
  a.runDeployment({ repository: repo, environment: 'Production', commit: commits[0]!, outcome: 'SUCCESSFUL' });
  const push = await deliver(from, (event) => event.eventType === 'avi:bitbucket:push:repository');
  expect(push).toHaveLength(1);
  expect(ours(id)[0]!.raw).toMatch(/Deploy time[^\n]*not available/i);
  return { id, push: push[0]! };
}

function expectDeployTime(id: number): void {
  expect(ours(id)).toHaveLength(1);
  expect(ours(id)[0]!.raw).not.toMatch(/Deploy time[^\n]*not available/i);
  expect(ours(id)[0]!.raw).toMatch(/\| Deploy time \| (under 1 min|\d+ min) \|/);
}

it('completes the comment once the commits that show the deployment includes the merge arrive after the deployment', async () => {
  const { id, push } = await deployedBeforeItsPush();
  // The push arrives: the deployment is now known to include the merge, and the comment says so.
  await sb.host.fireEvent(push as ForgeEvent & { eventType: string });
  await sb.settle();
  expectDeployTime(id);
}, 60_000);

it('completes the comment when the push that decides the deployment could not hand its comment work over at first', async () => {
  const { id, push } = await deployedBeforeItsPush();
  const pushesTaken = () => sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').length;
  const before = pushesTaken();
  // The comment settings read by the hand-over, once PanDev took the push: the hand-over fails and the
  // push is delivered again. Its recorded facts had already taken the deployment the comment waits on.
  sb.host.throttleStorage((key) => key === 'config:preferences' && pushesTaken() > before, 1);
  await sb.host.fireEvent(push as ForgeEvent & { eventType: string });
  await sb.settle();
  expect(sb.sink.duplicates()).toBe(1);
  expectDeployTime(id);
}, 60_000);
