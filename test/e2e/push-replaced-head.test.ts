import { testSandbox, type TestSandbox } from './helpers';

// A forced push whose replaced head Bitbucket has collected by the time the consumer reads it (the
// simulator collects at once; Bitbucket some time later, and a retried or backlogged push can come
// after that): the push still reaches PanDev live, naming the old head by its hash alone.

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ liveEvents: true, scheduledTriggers: false, simulator: { seed: 'replaced-head', repositories: 1, rateLimitPerHour: 0 } })));
afterAll(() => sb.stop());

type PushBody = { push: { changes: Array<{ forced: boolean; old: { target: { hash: string } } | null; new: { name: string; target: { hash: string } } | null }> }; pandev: { commits: Array<{ hash: string }> } };

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
