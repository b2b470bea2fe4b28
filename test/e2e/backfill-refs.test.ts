import type { BackfillRecord } from '../../src/core/backfill/state';
import { refStateKey } from '../../src/core/pipeline/ref-state';
import type { SimTypes } from '../../src/sandbox/cloud-sim';
import { manualEvents, reconcileNow, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// Branches and tags move while the backfill has yet to reach them: a live push, or a reconciliation
// pass that only noticed where they stand, must not hide what moved on them earlier in the window;
// and nothing the live path sent is sent again.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterEach(() => sb.stop());

const records = async () => Promise.all(sb.host.kvs.keys('backfill:').map(async (key) => (await sb.host.kvs.get(key)) as BackfillRecord));

async function backfilled(): Promise<BackfillRecord> {
  for (let round = 0; round < 400; round++) {
    await sb.settle();
    const [record] = await records();
    if (record && (record.state === 'done' || record.state === 'failed')) return record;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the backfill did not finish');
}

/** Commits reachable from `tip` dated from `since` on: what pushes must have carried. */
function inWindow(repo: SimTypes.Repository, tip: string, since: number): string[] {
  const seen = new Set<string>();
  const stack = [tip];
  while (stack.length) {
    const hash = stack.pop()!;
    const commit = repo.commits.get(hash);
    if (!commit || seen.has(hash) || commit.date / 1000 < since) continue;
    seen.add(hash);
    stack.push(...commit.parents);
  }
  return [...seen];
}

const pushedCommits = () =>
  sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').flatMap((d) => ((d.body as any).pandev?.commits ?? []).map((c: { hash: string }) => `${(d.body as any).push.changes[0].new?.name} ${c.hash}`) as string[]);

it('delivers what moved on a branch in the window before a live push that came first, without sending the push again', async () => {
  sb = await testSandbox({ scheduledTriggers: false, maxPlatformRetries: 50, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'refs-live', repositories: 1, rateLimitPerHour: 0 } });
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: false }));
  // The backfill is asked for, and held at its first request while a live push lands.
  const held = sb.simulator.stats().faulted;
  sb.simulator.faults.add({ path: '/commits', latencyMs: 800, times: 1 });
  data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: true }));
  while (sb.simulator.stats().faulted === held) await new Promise((resolve) => setTimeout(resolve, 5));
  const branch = [...repo.branches.keys()].find((name) => name !== repo.mainBranch)!;
  const { commits: live } = sb.simulator.actions.pushCommits({ repository: repo.slug, branch, commits: 1 });
  const record = await backfilled();
  expect(record.state).toBe('done');
  // The branch stays recorded where the live push left it: the backfill filled in behind it.
  expect(await sb.host.kvs.get(refStateKey(repo.uuid, 'branch', branch))).toMatchObject({ tip: live.at(-1), origin: 'trigger' });
  // And a reconciliation pass after it finds the branch where the live push left it.
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();

  const since = Date.parse(record.since);
  const sent = pushedCommits();
  const owed = inWindow(repo, repo.branches.get(branch)!, since);
  expect(owed.length).toBeGreaterThan(live.length);
  expect(owed.filter((hash) => !sent.includes(`${branch} ${hash}`))).toEqual([]);
  // Each commit of the branch in one push only: the backfill's ends where the live one began.
  const onBranch = sent.filter((entry) => entry.startsWith(`${branch} `));
  expect(onBranch.length).toBe(new Set(onBranch).size);
  expect(sb.sink.duplicates()).toBe(0);
});

it('delivers what moved in the window on refs a reconciliation only noticed before the backfill was asked for', async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'refs-noticed', repositories: 1, rateLimitPerHour: 0 } });
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  // Connected without a backfill; a push makes the first pass read the refs and note where they stand.
  sb.simulator.actions.pushCommits({ repository: repo.slug, commits: 1 });
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(sb.host.kvs.keys('ref:').length).toBeGreaterThan(1);
  data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: false }));
  data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: true }));
  const record = await backfilled();
  const since = Date.parse(record.since);
  const sent = pushedCommits();
  for (const [name, tip] of repo.branches) {
    expect([name, inWindow(repo, tip, since).filter((hash) => !sent.includes(`${name} ${hash}`))]).toEqual([name, []]);
  }
});

it('fills in behind a branch the reconciliation found with no tip after further pushes to it, found by the next pass or live, each commit once', async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'refs-behind-run', repositories: 1, rateLimitPerHour: 0 } });
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  const events = manualEvents(() => sb);
  // Connected without a backfill: the first pass finds the main branch with no tip and sends only its window.
  sb.simulator.actions.pushCommits({ repository: repo.slug, commits: 1 });
  await reconcileNow(sb);
  expect(await sb.host.kvs.get(refStateKey(repo.uuid, 'branch', repo.mainBranch))).toMatchObject({ origin: 'reconcile', from: expect.any(String) });
  // The next pass finds it moved on from the tip it recorded; then a push arrives live.
  sb.simulator.actions.pushCommits({ repository: repo.slug, commits: 1 });
  await reconcileNow(sb);
  await events.fire(events.act(() => sb.simulator.actions.pushCommits({ repository: repo.slug, commits: 1 })));
  expect(await sb.host.kvs.get(refStateKey(repo.uuid, 'branch', repo.mainBranch))).toMatchObject({ tip: repo.branches.get(repo.mainBranch), origin: 'trigger' });

  data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: false }));
  data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: true }));
  const record = await backfilled();
  expect(record.state).toBe('done');
  const since = Date.parse(record.since);
  const sent = pushedCommits();
  for (const [name, tip] of repo.branches) {
    expect([name, inWindow(repo, tip, since).filter((hash) => !sent.includes(`${name} ${hash}`))]).toEqual([name, []]);
  }
  const onMain = sent.filter((entry) => entry.startsWith(`${repo.mainBranch} `));
  expect(onMain.length).toBe(new Set(onMain).size);
  expect(sb.sink.duplicates()).toBe(0);
});

it('fills in behind such a branch once: a backfill asked for again, over a longer window, sends none of its commits twice', async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'refs-behind-once', repositories: 1, rateLimitPerHour: 0, historyDays: 90 } });
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  sb.simulator.actions.pushCommits({ repository: repo.slug, commits: 1 });
  await reconcileNow(sb);
  const reselect = async () => {
    data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: false }));
    data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: true }));
    return backfilled();
  };
  const first = await reselect();
  const filled = inWindow(repo, repo.branches.get(repo.mainBranch)!, Date.parse(first.since));
  expect(filled.filter((hash) => !pushedCommits().includes(`${repo.mainBranch} ${hash}`))).toEqual([]);
  data(await call('preferences/save', { backfillDays: 90 }));
  expect(await reselect()).toMatchObject({ state: 'done', windowDays: 90 });
  const onMain = pushedCommits().filter((entry) => entry.startsWith(`${repo.mainBranch} `));
  expect(onMain.length).toBe(new Set(onMain).size);
  expect(sb.sink.duplicates()).toBe(0);
});

it('leaves a branch pushed past the commits it read (its event lost) to the reconciliation, which sends its commits', async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'refs-live', repositories: 1, rateLimitPerHour: 0 } });
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: false }));
  // The pull-request list is read after the commits and before the refs: held there while a push lands.
  const held = sb.simulator.stats().faulted;
  sb.simulator.faults.add({ path: '/pullrequests$', latencyMs: 800, times: 1 });
  data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: true }));
  while (sb.simulator.stats().faulted === held) await new Promise((resolve) => setTimeout(resolve, 5));
  const branch = [...repo.branches.keys()].find((name) => name !== repo.mainBranch)!;
  sb.simulator.actions.pushCommits({ repository: repo.slug, branch, commits: 1 });
  const record = await backfilled();
  expect(record).toMatchObject({ state: 'done', refsIncomplete: true });
  // No push built from a graph that lacks its tip (it went out from nothing, with no commits), nor the tip recorded as delivered.
  expect(sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push' && (d.body as any).push.changes[0].new?.name === branch)).toEqual([]);
  expect(await sb.host.kvs.get(refStateKey(repo.uuid, 'branch', branch))).toBeUndefined();

  await reconcileNow(sb);
  const owed = inWindow(repo, repo.branches.get(branch)!, Date.parse(record.since));
  expect(owed.length).toBeGreaterThan(0);
  const sent = pushedCommits().filter((line) => line.startsWith(`${branch} `)).map((line) => line.split(' ')[1]);
  expect(owed.filter((hash) => !sent.includes(hash))).toEqual([]);
  expect(new Set(sent).size).toBe(sent.length);
});

it('keeps the refs owed by a reconciliation pass made while the backfill reads them, so a push to a ref it already listed is found after', async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 50, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'refs-pending', repositories: 1, rateLimitPerHour: 0 } });
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: false }));
  data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: true }));
  const done = await backfilled();
  expect(done.state).toBe('done');
  // As it stands while the backfill is on the refs' later pages: the first ones listed and recorded.
  const [key] = sb.host.kvs.keys('backfill:');
  await sb.host.kvs.set(key!, { ...done, state: 'running', updatedAt: Date.now(), cursor: { phase: 'refs', next: 'https://api.bitbucket.org/2.0/later-page' } });
  const branch = [...repo.branches.keys()].find((name) => name !== repo.mainBranch)!;
  const { commits: pushed } = sb.simulator.actions.pushCommits({ repository: repo.slug, branch, commits: 2 });
  await reconcileNow(sb); // the refs are the backfill's still: this pass leaves them
  await sb.host.kvs.set(key!, done); // its later pages read, it is done
  await reconcileNow(sb);
  const sent = pushedCommits().filter((line) => line.startsWith(`${branch} `)).map((line) => line.split(' ')[1]);
  expect(pushed.filter((hash) => !sent.includes(hash))).toEqual([]);
});
