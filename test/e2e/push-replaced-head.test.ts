import { reconcileNow, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';

// A forced push whose replaced head Bitbucket has collected by the time the consumer reads it (the
// simulator collects at once; Bitbucket some time later, and a retried or backlogged push can come
// after that): the push still reaches PanDev live, naming the old head by its hash alone.

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ liveEvents: true, scheduledTriggers: false, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'replaced-head', repositories: 1, rateLimitPerHour: 0 } })));
afterAll(() => sb.stop());

type PushBody = { push: { changes: Array<{ forced: boolean; old: { target: { hash: string } } | null; new: { name: string; target: { hash: string } } | null }> }; pandev: { commits: Array<{ hash: string }>; commits_truncated: boolean } };

it('delivers a forced push whose old head Bitbucket no longer has', async () => {
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  const branch = 'feature/amended';
  sb.simulator.actions.createBranch({ repository: repo.slug, name: branch, from: repo.mainBranch });
  const { commits: old } = sb.simulator.actions.pushCommits({ repository: repo.slug, branch, commits: 2 });
  await sb.settle();
  sb.sink.clear();

  const { commits, removed } = sb.simulator.actions.forcePush({ repository: repo.slug, branch, onto: old[0]!, commits: 1 });
  expect(removed).toContain(old[1]);
  await sb.settle();

  const pushes = sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').map((d) => d.body as PushBody);
  expect(pushes).toHaveLength(1);
  const [change] = pushes[0]!.push.changes;
  expect(change).toMatchObject({ forced: true, old: { target: { hash: old[1] } }, new: { name: branch, target: { hash: commits.at(-1) } } });
  // The gone head cannot bound the commits: those not on the main branch are listed, the one kept too.
  expect(pushes[0]!.pandev.commits.map((c) => c.hash)).toEqual([...commits].reverse().concat(old[0]!));
});

it("does not list a rewritten main branch's history as the commits of its forced push", async () => {
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  const main = repo.mainBranch;
  const history = new Set(repo.commits.keys());
  const start = repo.branches.get(main)!;
  await reconcileNow(sb);
  const { commits: dropped } = sb.simulator.actions.pushCommits({ repository: repo.slug, branch: main, commits: 1 });
  await sb.settle();
  sb.sink.clear();

  const { commits, removed } = sb.simulator.actions.forcePush({ repository: repo.slug, branch: main, onto: start, commits: 2 });
  expect(removed).toEqual(dropped);
  await sb.settle();
  await reconcileNow(sb);
  await reconcileNow(sb);

  // The gone head cannot bound them, and the main branch has no other to: only what the pass after
  // finds since it last read the refs is the push's (reconcile-rewritten-branch.test.ts).
  const mainPushes = sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').map((d) => d.body as PushBody).filter((body) => body.push.changes[0]!.new?.name === main);
  expect(mainPushes.flatMap((body) => body.pandev.commits.map((c) => c.hash)).filter((hash) => history.has(hash))).toEqual([]);
  expect(mainPushes.map((body) => body.push.changes[0]!.new!.target.hash)).toContain(commits.at(-1));
  expect(sb.sink.duplicates()).toBe(0);
}, 60_000);

// The event names the five newest of a longer push and says it cut the list (the simulator, as Bitbucket).
it.each([
  { pushed: 2, listed: 2, truncated: false },
  { pushed: 7, listed: 5, truncated: true },
])('lists a forced push to the main branch as its event named it: $pushed pushed', async ({ pushed, listed, truncated }) => {
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  const main = repo.mainBranch;
  const start = repo.branches.get(main)!;
  sb.simulator.actions.pushCommits({ repository: repo.slug, branch: main, commits: 1 });
  await sb.settle();
  sb.sink.clear();

  const { commits } = sb.simulator.actions.forcePush({ repository: repo.slug, branch: main, onto: start, commits: pushed });
  await sb.settle();

  const pushes = sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').map((d) => d.body as PushBody);
  expect(pushes).toHaveLength(1);
  expect(pushes[0]!.push.changes[0]).toMatchObject({ forced: true, new: { name: main, target: { hash: commits.at(-1) } } });
  expect(pushes[0]!.pandev.commits.map((c) => c.hash)).toEqual([...commits].reverse().slice(0, listed));
  expect(pushes[0]!.pandev.commits_truncated).toBe(truncated);
}, 60_000);
