import type { CloudSimulator } from '../../../src/sandbox/cloud-sim';
import { BASE_TIME, call, firstRepository, repoPath, startSim } from './helpers';

/** Links embed the simulator's own address; everything else must match byte for byte. */
async function snapshot(sim: CloudSimulator): Promise<string[]> {
  const repo = firstRepository(sim);
  const base = repoPath(sim, repo);
  const paths = [
    '/user',
    `/repositories/${sim.workspace.slug}?pagelen=100`,
    `${base}/pullrequests?state=ALL&pagelen=50`,
    `${base}/pullrequests/1`,
    `${base}/pullrequests/activity?pagelen=50`,
    `${base}/commits?pagelen=100`,
    `${base}/refs/branches?pagelen=100`,
    `${base}/refs/tags`,
    `${base}/pipelines?pagelen=100`,
    `${base}/deployments?pagelen=100`,
    `/workspaces/${sim.workspace.slug}/permissions`,
  ];
  const bodies = await Promise.all(paths.map(async (path) => (await call(sim, path)).text));
  return bodies.map((body) => body.split(sim.url).join('<sim>'));
}

describe('determinism', () => {
  let sims: CloudSimulator[] = [];
  afterEach(async () => {
    await Promise.all(sims.map((sim) => sim.stop()));
    sims = [];
  });

  it('serves identical data for the same seed and base time', async () => {
    sims = [await startSim(), await startSim()];
    const [a, b] = sims as [CloudSimulator, CloudSimulator];
    expect(b.workspace).toEqual(a.workspace);
    expect(b.credentials.admin.token).toBe(a.credentials.admin.token);
    expect(await snapshot(b)).toEqual(await snapshot(a));
  });

  it('serves different data for another seed, and history ends before the base time', async () => {
    sims = [await startSim(), await startSim({ seed: 'another seed' })];
    const [a, b] = sims as [CloudSimulator, CloudSimulator];
    expect(b.workspace.uuid).not.toBe(a.workspace.uuid);
    const times = [...a.model.repositories.values()].flatMap((repo) => [...repo.commits.values()].map((commit) => commit.date));
    expect(Math.max(...times)).toBeLessThan(BASE_TIME * 1000);
  });

  it('sizes the workspace from the options', async () => {
    sims = [await startSim({ repositories: 3, pullRequestsPerRepository: 5, historyDays: 10 })];
    const [sim] = sims as [CloudSimulator];
    expect(sim.model.repositories.size).toBe(3);
    for (const repo of sim.model.repositories.values()) {
      const states = [...repo.pullRequests.values()].map((pr) => pr.state);
      expect(states).toHaveLength(5);
      expect(new Set(states)).toEqual(new Set(['OPEN', 'MERGED', 'DECLINED']));
      const first = Math.min(...[...repo.pullRequests.values()].map((pr) => pr.createdOn));
      expect(first).toBeGreaterThanOrEqual((BASE_TIME - 10 * 86_400_000) * 1000);
    }
  });
});
