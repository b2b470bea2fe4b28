import type { DcSimulator } from '../../../src/sandbox/dc-sim';
import { call, collect, repoPath, startSim, type Json } from './helpers';

/** Everything a backfill reads, with the (port-dependent) base URL taken out. */
async function snapshot(sim: DcSimulator): Promise<Json> {
  const read = async (path: string) => (await call(sim, path)).json;
  const repos = (await collect(sim, '/repos?limit=100')).values;
  const out: Json = { projects: await read('/projects'), repos, credentials: Object.values(sim.credentials).map((c) => c.token), corrupt: sim.corrupt };
  for (const repo of sim.model.repositories) {
    const base = repoPath(repo);
    const prs = await read(`${base}/pull-requests?state=ALL&limit=1000`);
    out[base] = {
      prs, commits: await read(`${base}/commits?limit=1000`), branches: await read(`${base}/branches`), tags: await read(`${base}/tags`),
      details: await Promise.all(prs.values.filter((pr: Json) => pr.id !== sim.corrupt?.pullRequestId).map(async (pr: Json) => ({
        activities: await read(`${base}/pull-requests/${pr.id}/activities`), commits: await read(`${base}/pull-requests/${pr.id}/commits`),
        changes: await read(`${base}/pull-requests/${pr.id}/changes`),
      }))),
    };
  }
  return JSON.parse(JSON.stringify(out).split(sim.url).join('<base>'));
}

describe('determinism', () => {
  it('the same seed and base time give identical instances, down to ids, hashes and timestamps', async () => {
    const [a, b] = await Promise.all([startSim(), startSim()]);
    try {
      const [left, right] = await Promise.all([snapshot(a), snapshot(b)]);
      expect(left).toEqual(right);
      expect(JSON.stringify(left).length).toBeGreaterThan(100_000);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('another seed gives another instance; another base time shifts the same history', async () => {
    const [a, b, c] = await Promise.all([startSim(), startSim({ seed: 'another' }), startSim({ baseTime: Date.UTC(2026, 5, 1) })]);
    try {
      const repoA = a.model.repositories[0]!;
      const repoB = b.model.repositories[0]!;
      expect(a.credentials.admin.token).not.toBe(b.credentials.admin.token);
      expect(repoA.branches.get(repoA.defaultBranch)).not.toBe(repoB.branches.get(repoB.defaultBranch));
      const first = async (sim: DcSimulator) => (await call(sim, `${repoPath(sim.model.repositories[0]!)}/pull-requests?state=ALL&order=OLDEST&limit=1`)).json.values[0];
      const [prA, prC] = [await first(a), await first(c)];
      expect(prC.title).toBe(prA.title);
      expect(prC.createdDate - prA.createdDate).toBe(Date.UTC(2026, 5, 1) - Date.UTC(2026, 0, 15, 12));
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    }
  });

  it('reading a seeded pull request never changes it (it is regenerated, not drifted)', async () => {
    const sim = await startSim();
    try {
      const repo = sim.model.repositories[1]!;
      const path = `${repoPath(repo)}/pull-requests/3/activities`;
      const first = (await call(sim, path)).text;
      for (let i = 0; i < 3; i++) await call(sim, `${repoPath(repo)}/pull-requests/3`);
      expect((await call(sim, path)).text).toBe(first);
      expect(repo.live.size).toBe(0);
    } finally {
      await sim.stop();
    }
  });
});
