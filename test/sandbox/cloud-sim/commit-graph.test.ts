import type { CloudSimulator } from '../../../src/sandbox/cloud-sim';
import type { Repository } from '../../../src/sandbox/cloud-sim/model/types';
import { call, collect, repoPath, startSim, type Json } from './helpers';

/** Reachability computed from what the API returned, independently of the simulator's own code. */
function reachableFrom(parents: Map<string, string[]>, tips: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...tips];
  while (stack.length > 0) {
    const hash = stack.pop() as string;
    if (seen.has(hash)) continue;
    seen.add(hash);
    stack.push(...(parents.get(hash) ?? []));
  }
  return seen;
}

describe('commit graph', () => {
  let sim: CloudSimulator;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(() => sim.stop());

  async function graph(repo: Repository): Promise<{ commits: Json[]; parents: Map<string, string[]> }> {
    const commits = (await collect(sim, `${repoPath(sim, repo)}/commits?pagelen=100`)).values;
    return { commits, parents: new Map(commits.map((commit: Json) => [commit.hash, commit.parents.map((parent: Json) => parent.hash)])) };
  }

  it('lists every commit once, children before parents, every parent present, merges with two parents', async () => {
    for (const repo of sim.model.repositories.values()) {
      const { commits, parents } = await graph(repo);
      expect(commits).toHaveLength(repo.commits.size);
      const position = new Map<string, number>(commits.map((commit: Json, index: number) => [commit.hash, index]));
      for (const [hash, ofHash] of parents) {
        for (const parent of ofHash) {
          expect(position.has(parent)).toBe(true);
          expect(position.get(parent)).toBeGreaterThan(position.get(hash) as number);
        }
      }
      const merges = commits.filter((commit: Json) => commit.parents.length === 2);
      const merged = [...repo.pullRequests.values()].filter((pr) => pr.state === 'MERGED');
      expect(merges.length).toBe(merged.length);
      expect(commits.filter((commit: Json) => commit.parents.length === 0)).toHaveLength(1);
    }
  });

  it('returns exactly the commits reachable from include and not from exclude', async () => {
    const repo = [...sim.model.repositories.values()][1] as Repository;
    const { parents } = await graph(repo);
    const open = [...repo.pullRequests.values()].find((pr) => pr.state === 'OPEN' && repo.branches.has(pr.source.branch));
    expect(open).toBeDefined();
    const include = open?.source.branch as string;
    const mainTip = repo.branches.get(repo.mainBranch) as string;
    const excludeHash = parents.get(mainTip)?.[0] as string;
    const expected = reachableFrom(parents, [repo.branches.get(include) as string]);
    for (const hash of reachableFrom(parents, [excludeHash])) expected.delete(hash);
    const path = `${repoPath(sim, repo)}/commits?include=${encodeURIComponent(include)}&exclude=${excludeHash.slice(0, 12)}&pagelen=100`;
    const listed = (await collect(sim, path)).values.map((commit: Json) => commit.hash);
    expect(new Set(listed)).toEqual(expected);
    const viaPath = await collect(sim, `${repoPath(sim, repo)}/commits/${encodeURIComponent(include)}?exclude=${excludeHash}&pagelen=100`);
    expect(viaPath.values.map((commit: Json) => commit.hash)).toEqual(listed);
    const both = await collect(sim, `${repoPath(sim, repo)}/commits?include=${mainTip}&include=${encodeURIComponent(include)}&pagelen=100`);
    expect(new Set(both.values.map((commit: Json) => commit.hash))).toEqual(reachableFrom(parents, [mainTip, repo.branches.get(include) as string]));
    expect((await call(sim, `${repoPath(sim, repo)}/commits?include=no-such-branch`)).status).toBe(404);
  });

  it('gives pull request commits and diffstat as the range from destination to source', async () => {
    const repo = [...sim.model.repositories.values()][0] as Repository;
    for (const pr of repo.pullRequests.values()) {
      const base = `${repoPath(sim, repo)}/pullrequests/${pr.id}`;
      const commits = (await collect(sim, `${base}/commits`)).values.map((commit: Json) => commit.hash);
      const range = (await collect(sim, `${repoPath(sim, repo)}/commits?include=${pr.source.hash}&exclude=${pr.destination.hash}&pagelen=100`)).values;
      expect(commits).toEqual(range.map((commit: Json) => commit.hash));
      expect(commits.length).toBeGreaterThan(0);
      const redirected = await call(sim, `${base}/diffstat`);
      const direct = await call(sim, `${repoPath(sim, repo)}/diffstat/${pr.source.hash}..${pr.destination.hash}`);
      expect(redirected.json.values).toEqual(direct.json.values);
      const lines = direct.json.values.reduce((sum: number, entry: Json) => sum + entry.lines_added, 0);
      const expected = range.flatMap((commit: Json) => repo.commits.get(commit.hash)?.files ?? []).reduce((sum, file) => sum + file.linesAdded, 0);
      expect(lines).toBe(expected);
    }
  });

  it('resolves branches, tags and short hashes in single-commit reads', async () => {
    const repo = [...sim.model.repositories.values()][0] as Repository;
    const tip = repo.branches.get(repo.mainBranch) as string;
    const byBranch = await call(sim, `${repoPath(sim, repo)}/commit/${repo.mainBranch}`);
    expect(byBranch.json.hash).toBe(tip);
    expect((await call(sim, `${repoPath(sim, repo)}/commit/${tip.slice(0, 12)}`)).json.hash).toBe(tip);
    const diff = await call(sim, `${repoPath(sim, repo)}/diffstat/${tip}`);
    expect(diff.json.values.length).toBeGreaterThan(0);
    expect((await call(sim, `${repoPath(sim, repo)}/commit/0000000000`)).status).toBe(404);
  });
});
