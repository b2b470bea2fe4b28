import type { ForgeEvent } from '../../src/sandbox/cloud-sim';
import { manualEvents, testSandbox, type TestSandbox } from './helpers';

// The live path, from the Forge product trigger to PanDev, where the events Forge delivers disagree
// with what the app remembers: late, lost or out of order.

let sb: TestSandbox;
// The test fires the Forge events itself, so it can hold one back or fire them out of order.
beforeAll(async () => (sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, simulator: { seed: 'live-path', repositories: 2, rateLimitPerHour: 0 } })));
afterAll(() => sb.stop());

const { act, fire } = manualEvents(() => sb);

const bodiesOf = (key: string, id?: number) => sb.sink.deliveries().filter((d) => d.eventKey === key && (id === undefined || (d.body as any).pullrequest?.id === id)).map((d) => d.body as any);

it('names a renamed repository by its new name in events that overtake the rename\'s own event', async () => {
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  const a = sb.simulator.actions;
  // An event before the rename: the app now remembers the repository as it was.
  const before = act(() => a.openPullRequest({ repository: repo.slug, title: 'Before the rename' }));
  await fire(before);
  expect(bodiesOf('pullrequest:created')[0].repository.full_name).toMatch(new RegExp(`/${repo.slug}$`));

  const renamed = act(() => a.updateRepository({ repository: repo.slug, name: 'Payments Core' }));
  const after = act(() => a.openPullRequest({ repository: repo.slug, title: 'After the rename' }));
  expect(repo.slug).toBe('payments-core');
  // Forge does not keep order: the pull request's event is taken before the rename's (or the rename's is lost).
  await fire(after);
  const created = bodiesOf('pullrequest:created').find((body) => body.pullrequest.title === 'After the rename');
  expect(created.repository).toMatchObject({ name: 'Payments Core', full_name: expect.stringMatching(/\/payments-core$/) });
  await fire(renamed);
  expect(bodiesOf('repo:updated')[0].repository.name).toBe('Payments Core');
  // As Bitbucket's own repo:updated: plain values, not Forge's { value, truncated }.
  expect(bodiesOf('repo:updated')[0].changes).toEqual({ name: { old: expect.any(String), new: 'Payments Core' } });
});

it('delivers every change of a reviewer\'s status however Forge orders or repeats their events', async () => {
  const repo = [...sb.simulator.model.repositories.values()][1]!;
  const a = sb.simulator.actions;
  await fire(act(() => a.openPullRequest({ repository: repo.slug })));
  const id = repo.pullRequests.size;
  const [, reviewer] = sb.simulator.model.users.map((u) => u.uuid);
  // A reviewer's changes are seconds apart.
  const later = (step: () => unknown) => {
    sb.advance(5_000);
    return act(step)[0]!;
  };
  const approve = later(() => a.approvePullRequest({ repository: repo.slug, pullRequestId: id, reviewer }));
  const request = later(() => a.requestChanges({ repository: repo.slug, pullRequestId: id, reviewer }));
  const remove = later(() => a.removeChangeRequest({ repository: repo.slug, pullRequestId: id, reviewer }));
  const again = later(() => a.approvePullRequest({ repository: repo.slug, pullRequestId: id, reviewer }));
  await fire([again, remove, approve, request, approve, again]);
  const when = (event: ForgeEvent) => new Date((event as any).reviewers.value[0].timestamp).toISOString();
  const got = sb.sink.deliveries().filter((d) => (d.body as any).pullrequest?.id === id && /approv|changes_request/.test(d.eventKey));
  const seen = got.map((d) => `${d.eventKey} ${(d.body as any).approval?.date ?? (d.body as any).changes_request?.date}`);
  // What the four changes were, each at its own time, whatever arrived first.
  expect(seen).toEqual(expect.arrayContaining([
    `pullrequest:approved ${when(approve)}`,
    `pullrequest:unapproved ${when(request)}`,
    `pullrequest:changes_request_created ${when(request)}`,
    `pullrequest:changes_request_removed ${when(remove)}`,
    `pullrequest:approved ${when(again)}`,
  ]));
  // Each once: the repeats added nothing.
  expect(new Set(got.map((d) => d.id)).size).toBe(got.length);
});

it('describes each push as it moved the ref, though the ref moved on or was deleted before its event was taken', async () => {
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  const a = sb.simulator.actions;
  const name = 'live/moving';
  const tips: string[] = [];
  const step = (change: () => unknown) => {
    const events = act(change);
    tips.push(repo.branches.get(name) ?? 'none');
    return events;
  };
  const events = [
    ...step(() => a.createBranch({ repository: repo.slug, name })),
    ...step(() => a.pushCommits({ repository: repo.slug, branch: name, commits: 1 })),
    ...step(() => a.pushCommits({ repository: repo.slug, branch: name, commits: 1 })),
    ...step(() => a.deleteBranch({ repository: repo.slug, name })),
  ];
  // The consumer reads Bitbucket only after all four happened, when the branch is gone.
  await fire(events);
  const moves = sb.sink.deliveries().map((d) => d.body as any).filter((body) => body.push && body.pandev.ref.name === name).map((body) => body.push.changes[0]);
  expect(moves.map((change) => `${change.old?.target.hash ?? 'none'} -> ${change.new?.target.hash ?? 'none'}`).sort()).toEqual([
    `none -> ${tips[0]}`,
    `${tips[0]} -> ${tips[1]}`,
    `${tips[1]} -> ${tips[2]}`,
    `${tips[2]} -> none`,
  ].sort());
  expect(moves.filter((change) => change.new).map((change) => change.new)).toEqual([0, 1, 2].map(() => expect.objectContaining({ type: 'branch', name })));
});

it('gives each build status event the state it reported, though the build moved on before its event was taken', async () => {
  const repo = [...sb.simulator.model.repositories.values()][1]!;
  const a = sb.simulator.actions;
  const commit = repo.branches.get(repo.mainBranch)!;
  const report = (state: 'FAILED' | 'SUCCESSFUL') => {
    sb.advance(60_000);
    return act(() => a.setBuildStatus({ repository: repo.slug, commit, key: 'ci/flaky', state }));
  };
  // A failed build re-run green: the failure must reach PanDev as a failure.
  const events = [...report('FAILED'), ...report('SUCCESSFUL')];
  await fire(events);
  const statuses = sb.sink.deliveries().filter((d) => (d.body as any).commit_status?.key === 'ci/flaky');
  expect(statuses.map((d) => `${d.eventKey} ${(d.body as any).commit_status.state}`).sort()).toEqual(['repo:commit_status_created FAILED', 'repo:commit_status_updated SUCCESSFUL']);
});
