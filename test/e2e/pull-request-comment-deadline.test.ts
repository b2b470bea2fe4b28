import { testSandbox, type TestSandbox } from './helpers';

// A production deployment edits the comment of every merge it completes, one request each, in one
// comment consumer. A repository that deploys weekly has many such merges: behind a slow Bitbucket the
// consumer must hand the rest back before Forge stops it at its limit (scaled here to a fifth, 24 s).

const MERGES = 12;

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ functionTimeoutScale: 0.2, simulator: { seed: 'comment-deadline', repositories: 1, rateLimitPerHour: 0 } })));
afterAll(() => sb.stop());

const repository = () => [...sb.simulator.model.repositories.values()][0]!;
const ours = (id: number) => repository().pullRequests.get(id)!.comments.filter((c) => !c.deleted && c.userUuid === sb.simulator.model.app.uuid);

it('edits every comment a production deployment completes, handing back what it has no time for', async () => {
  const a = sb.simulator.actions;
  const repo = repository().slug;
  const merged: Array<{ id: number; mergeCommit: string }> = [];
  for (let i = 0; i < MERGES; i++) {
    const { pullRequestId: id } = a.openPullRequest({ repository: repo, title: `Change ${i}`, commits: 1 });
    await sb.settle();
    const { mergeCommit } = a.mergePullRequest({ repository: repo, pullRequestId: id });
    await sb.settle();
    merged.push({ id, mergeCommit });
  }
  for (const { id } of merged) expect(ours(id)).toHaveLength(1);
  expect(ours(merged[0]!.id)[0]!.raw).toMatch(/Deploy time[^\n]*not available/i);

  sb.simulator.faults.add({ method: 'PUT', path: '/comments/\\d+$', latencyMs: 2500 });
  a.runDeployment({ repository: repo, environment: 'Production', commit: merged.at(-1)!.mergeCommit, outcome: 'SUCCESSFUL' });
  await sb.settle();

  expect(sb.logs.filter((line) => /ran past its/.test(line.message)).map((line) => line.message)).toEqual([]);
  expect(sb.logs.some((line) => /comments left for the retry/.test(line.message))).toBe(true);
  for (const { id } of merged) {
    expect(ours(id)).toHaveLength(1);
    expect(ours(id)[0]!.raw).not.toMatch(/Deploy time[^\n]*not available/i);
  }
  expect(sb.logs.some((line) => /could not write the pull request comment/.test(line.message))).toBe(false);
}, 180_000);
