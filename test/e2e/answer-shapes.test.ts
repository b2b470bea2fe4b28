import { testSandbox, type TestSandbox } from './helpers';

// Bitbucket answers the consumer did not expect, each found by fuzz-answers.test.ts and kept here as
// one case: the change still ends delivered, or as a dead letter saying what Bitbucket answered wrong.

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ scheduledTriggers: false, simulator: { repositories: 1 }, tuning: { maxEnrichAttempts: 2, sweepGraceSeconds: 0 } })));
afterAll(() => sb.stop());
beforeEach(() => {
  sb.sink.clear();
  sb.simulator.faults.clear();
});

async function drain() {
  for (let round = 0; round < 10; round++) {
    await sb.settle();
    if (sb.host.kvs.keys('outbox:').length === 0) return;
    await sb.host.runScheduled('five-minute-tick');
  }
}

const repository = () => [...sb.simulator.model.repositories.values()][0]!;
const records = async (prefix: 'dead:' | 'dropped:') => Promise.all(sb.host.kvs.keys(prefix).map(async (key) => (await sb.host.kvs.get(key)) as { reason: string; detail?: string }));
const deadReasons = async () => (await records('dead:')).map((letter) => letter.reason);

/** The simulator's own answer for the repository, with `change` applied, answered from now on. */
async function answerRepositoryWith(change: (repository: Record<string, unknown>) => void) {
  const { workspace, credentials, url } = sb.simulator;
  const response = await fetch(`${url}/2.0/repositories/${workspace.slug}/${repository().slug}`, { headers: { Authorization: `Bearer ${credentials.appToken}` } });
  const answer = (await response.json()) as Record<string, unknown>;
  change(answer);
  sb.simulator.faults.add({ method: 'GET', path: '^/2\\.0/repositories/[^/]+/[^/]+$', status: 200, body: JSON.stringify(answer) });
}

const nested = (depth: number): unknown => (depth === 0 ? 'bottom' : { deeper: nested(depth - 1) });

it.each([
  ['a 300 KB description', (answer: Record<string, unknown>) => void (answer.description = 'x'.repeat(300_000))],
  ['a field nested 60 levels deep', (answer: Record<string, unknown>) => void (answer.extra = nested(60))],
])('delivers a change whose repository Bitbucket answers with %s, which the store will not cache', async (_, change) => {
  // Before, the cache's write failed, and the change was retried and buried under the store's words
  // ("could not read Bitbucket: The provided value has exceeded the maximum size limit").
  await answerRepositoryWith(change);
  sb.simulator.actions.updateRepository({ repository: repository().slug, description: 'changed' });
  await drain();
  expect(await deadReasons()).toEqual([]);
  expect(sb.sink.deliveries().map((d) => [d.eventKey, (d.body as { repository: { uuid: string } }).repository.uuid])).toEqual([['repo:updated', repository().uuid]]);
});

it("delivers a new branch's push when the cached repository names a main branch renamed since", async () => {
  // Before, the commit walk bounded by the stale name answered 404 and the push was dropped as gone.
  // The main branch as the repository's last read named it, cached with the repository; renamed since.
  await answerRepositoryWith((answer) => void (answer.mainbranch = { type: 'branch', name: 'master-before-rename' }));
  sb.simulator.actions.updateRepository({ repository: repository().slug, description: 'read again' });
  await drain();
  sb.simulator.faults.clear();
  sb.sink.clear();
  sb.simulator.actions.createBranch({ repository: repository().slug, name: 'feature/stale-main' });
  const { commits } = sb.simulator.actions.pushCommits({ repository: repository().slug, branch: 'feature/stale-main', commits: 2 });
  await drain();
  const pushes = sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').map((d) => d.body as { pandev: { ref: { name: string }; commits: Array<{ hash: string }> } });
  const ours = pushes.filter((body) => body.pandev.ref.name === 'feature/stale-main');
  expect(ours.flatMap((body) => body.pandev.commits.map((c) => c.hash))).toEqual(expect.arrayContaining(commits));
  expect(await records('dropped:')).toEqual([]);
});
