import type { DcSimulator } from '../../../src/sandbox/dc-sim';
import { call, collect, firstRepository, repoPath, repoRef, startSim, type Json } from './helpers';

describe('start/limit paging', () => {
  let sim: DcSimulator;
  let prs: string;
  beforeAll(async () => {
    sim = await startSim({ pullRequestsPerRepository: 1200 });
    prs = `${repoPath(firstRepository(sim))}/pull-requests?state=ALL`;
  });
  afterAll(() => sim.stop());

  it('pages with the envelope Data Center uses: size counts the page, nextPageStart only before the last page', async () => {
    const first = await call(sim, `${prs}&limit=50`);
    expect(Object.keys(first.json).sort()).toEqual(['isLastPage', 'limit', 'nextPageStart', 'size', 'start', 'values']);
    expect(first.json).toMatchObject({ size: 50, limit: 50, isLastPage: false, start: 0, nextPageStart: 50 });
    const second = await call(sim, `${prs}&limit=50&start=${first.json.nextPageStart}`);
    expect(second.json).toMatchObject({ size: 50, start: 50, nextPageStart: 100 });
    expect(second.json.values[0].id).not.toBe(first.json.values[0].id);
    const last = await call(sim, `${prs}&limit=50&start=1180`);
    expect(last.json).toMatchObject({ size: 21, limit: 50, isLastPage: true, start: 1180 });
    expect(last.json).not.toHaveProperty('nextPageStart');
    const beyond = await call(sim, `${prs}&start=5000`);
    expect(beyond.json).toMatchObject({ size: 0, values: [], isLastPage: true, start: 5000 });
  });

  it('defaults to 25 and caps the limit at 1000 (500 for activity), and says so in `limit`', async () => {
    expect((await call(sim, prs)).json).toMatchObject({ size: 25, limit: 25 });
    expect((await call(sim, `${prs}&limit=0`)).json.limit).toBe(25);
    const capped = await call(sim, `${prs}&limit=5000`);
    expect(capped.json).toMatchObject({ size: 1000, limit: 1000, isLastPage: false, nextPageStart: 1000 });
    const activities = await call(sim, `${repoPath(firstRepository(sim))}/pull-requests/1/activities?limit=999`);
    expect(activities.json.limit).toBe(500);
  });

  it('following nextPageStart yields every pull request once, newest update first', async () => {
    const { values, pages } = await collect(sim, `${prs}&limit=100`);
    expect(pages).toBe(13);
    expect(values).toHaveLength(1201);
    expect(new Set(values.map((pr: Json) => pr.id)).size).toBe(1201);
    const updated = values.map((pr: Json) => pr.updatedDate);
    expect(updated).toEqual([...updated].sort((a, b) => b - a));
    const oldest = await call(sim, `${prs}&order=OLDEST&limit=3`);
    expect(oldest.json.values[0].updatedDate).toBe(updated.at(-1));
  });

  it('filters by state: OPEN by default, MERGED, DECLINED, ALL, and rejects others', async () => {
    const count = async (state: string) => (await collect(sim, `${repoPath(firstRepository(sim))}/pull-requests?limit=1000${state ? `&state=${state}` : ''}`)).values;
    const open = await count('');
    const [merged, declined, all] = [await count('MERGED'), await count('declined'), await count('ALL')];
    expect(open.every((pr: Json) => pr.state === 'OPEN' && pr.open && !pr.closed)).toBe(true);
    expect(merged.every((pr: Json) => pr.state === 'MERGED' && pr.closedDate >= pr.createdDate)).toBe(true);
    expect(declined.every((pr: Json) => pr.state === 'DECLINED')).toBe(true);
    expect(open.length + merged.length + declined.length).toBe(all.length);
    expect(merged.length).toBeGreaterThan(open.length);
    expect((await call(sim, `${prs.replace('ALL', 'BOGUS')}`)).status).toBe(400);
  });

  it('pages repositories, projects, branches and tags the same way', async () => {
    const repo = firstRepository(sim);
    for (const path of ['/repos', '/projects', `${repoPath(repo)}/branches?orderBy=ALPHABETICAL`, `${repoPath(repo)}/tags`]) {
      const whole = await call(sim, `${path}${path.includes('?') ? '&' : '?'}limit=1000`);
      const { values } = await collect(sim, `${path}${path.includes('?') ? '&' : '?'}limit=7`);
      expect(values).toEqual(whole.json.values);
    }
  });

  it('pages a long commit history page after page without redoing the walk', async () => {
    const path = `${repoPath(firstRepository(sim))}/commits`;
    const started = Date.now();
    const { values, pages } = await collect(sim, `${path}?limit=100`);
    expect(values.length).toBeGreaterThan(2000);
    expect(pages).toBe(Math.ceil(values.length / 100));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(new Set(values.map((commit: Json) => commit.id)).size).toBe(values.length);
    // A page asked for out of order (a restart after a crash) still answers the same commits.
    const again = await call(sim, `${path}?limit=100&start=1000`);
    expect(again.json.values).toEqual(values.slice(1000, 1100));
    const capped = await call(sim, `${path}?limit=5000`);
    expect(capped.json).toMatchObject({ limit: 1000, size: 1000, nextPageStart: 1000 });
    expect(capped.json.values).toEqual(values.slice(0, 1000));
  });
});

describe('pull requests ordered by creation (pullRequestsBy: created)', () => {
  it('lists the newest created first, so a pull request changed now keeps its place below newer ones', async () => {
    const sim = await startSim({ pullRequestsPerRepository: 30, pullRequestsBy: 'created' });
    try {
      const repo = firstRepository(sim);
      const oldestOpen = [...repo.summaries()].filter((pr) => pr.state === 'OPEN').sort((a, b) => a.createdAt - b.createdAt)[0]!;
      sim.actions.approvePullRequest({ repository: repoRef(repo), pullRequestId: oldestOpen.id });
      const prs = `${repoPath(repo)}/pull-requests?state=ALL&limit=10`;
      const { values } = await collect(sim, prs);
      const created = values.map((pr: Json) => pr.createdDate);
      expect(created).toEqual([...created].sort((a, b) => b - a));
      const approved = values.findIndex((pr: Json) => pr.id === oldestOpen.id);
      expect(values[approved].updatedDate).toBe(Math.max(...values.map((pr: Json) => pr.updatedDate)));
      expect(approved).toBeGreaterThan(0);
      const oldest = await collect(sim, `${prs}&order=OLDEST`);
      expect(oldest.values.map((pr: Json) => pr.id)).toEqual(values.map((pr: Json) => pr.id).reverse());
    } finally {
      await sim.stop();
    }
  });
});

describe('a 100,000-pull-request-sized listing stays cheap', () => {
  it('seeds 10,000 pull requests quickly and lists one repository completely', async () => {
    const started = Date.now();
    const sim = await startSim({ projects: 2, repositoriesPerProject: 5, pullRequestsPerRepository: 1000 });
    try {
      expect(Date.now() - started).toBeLessThan(5000);
      const total = sim.model.repositories.reduce((sum, repo) => sum + repo.seeded.length, 0);
      expect(total).toBe(10_000);
      const { values } = await collect(sim, `${repoPath(sim.model.repositories[7] as never)}/pull-requests?state=ALL&limit=1000`);
      expect(values).toHaveLength(1000);
    } finally {
      await sim.stop();
    }
  });
});
