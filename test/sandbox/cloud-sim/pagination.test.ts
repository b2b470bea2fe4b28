import { get } from 'node:http';
import type { CloudSimulator } from '../../../src/sandbox/cloud-sim';
import { call, collect, firstRepository, repoPath, startSim, type Json } from './helpers';

describe('pagination, q, sort and fields', () => {
  let sim: CloudSimulator;
  let base: string;
  beforeAll(async () => {
    sim = await startSim({ pullRequestsPerRepository: 12 });
    base = repoPath(sim, firstRepository(sim));
  });
  afterAll(() => sim.stop());

  it('follows absolute next links that keep every original parameter', async () => {
    const first = await call(sim, `${base}/commits?pagelen=7&fields=values.hash,next`);
    expect(first.json.values).toHaveLength(7);
    const next = new URL(first.json.next);
    expect(next.origin).toBe(sim.url);
    expect(next.searchParams.get('pagelen')).toBe('7');
    expect(next.searchParams.get('fields')).toBe('values.hash,next');
    const { values, pages } = await collect(sim, `${base}/commits?pagelen=7`);
    expect(values).toHaveLength(firstRepository(sim).commits.size);
    expect(new Set(values.map((commit: Json) => commit.hash)).size).toBe(values.length);
    expect(pages).toBe(Math.ceil(values.length / 7));
  });

  it('defaults pagelen to 10 and caps it at 100, or 50 for pull requests and activity', async () => {
    expect((await call(sim, `${base}/commits`)).json.pagelen).toBe(10);
    expect((await call(sim, `${base}/commits?pagelen=1000`)).json.pagelen).toBe(100);
    const prs = await call(sim, `${base}/pullrequests?state=ALL&pagelen=100`);
    expect(prs.json.pagelen).toBe(50);
    expect(prs.json.size).toBe(12);
    expect((await call(sim, `${base}/pullrequests/activity?pagelen=100`)).json.pagelen).toBe(50);
  });

  it('lists OPEN pull requests by default, more with repeated state, newest update first', async () => {
    const open = await collect(sim, `${base}/pullrequests`);
    expect(open.values.length).toBeGreaterThan(0);
    expect(open.values.every((pr: Json) => pr.state === 'OPEN')).toBe(true);
    const closed = (await collect(sim, `${base}/pullrequests?state=MERGED&state=DECLINED`)).values;
    expect(new Set(closed.map((pr: Json) => pr.state))).toEqual(new Set(['MERGED', 'DECLINED']));
    const stamps = closed.map((pr: Json) => pr.updated_on);
    expect(stamps).toEqual([...stamps].sort().reverse());
    expect((await call(sim, `${base}/pullrequests?state=bogus`)).status).toBe(400);
  });

  it('filters with q and orders with sort', async () => {
    const all = (await collect(sim, `${base}/pullrequests?state=ALL`)).values;
    const cutoff = [...all.map((pr: Json) => pr.updated_on)].sort()[5];
    const q = encodeURIComponent(`updated_on>=${cutoff}`);
    const recent = (await collect(sim, `${base}/pullrequests?state=ALL&q=${q}&sort=updated_on&pagelen=2`)).values;
    expect(recent.map((pr: Json) => pr.id)).toEqual(
      all.filter((pr: Json) => pr.updated_on >= cutoff).sort((a: Json, b: Json) => a.updated_on.localeCompare(b.updated_on)).map((pr: Json) => pr.id),
    );
    const merged = await call(sim, `${base}/pullrequests?state=ALL&q=${encodeURIComponent('state="MERGED" AND closed_by.uuid != null')}`);
    expect(merged.json.values.every((pr: Json) => pr.state === 'MERGED')).toBe(true);
    const bad = await call(sim, `${base}/pullrequests?q=${encodeURIComponent('state = ')}`);
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ type: 'error', error: { message: expect.stringContaining('Invalid filter') } });
    const repos = await call(sim, `/repositories/${sim.workspace.slug}?q=${encodeURIComponent(`name~"${firstRepository(sim).name.slice(0, 4)}"`)}&sort=-name`);
    expect(repos.json.values.map((repo: Json) => repo.slug)).toContain(firstRepository(sim).slug);
  });

  it('shapes responses with fields, and hides list-only fields unless asked', async () => {
    const slim = await call(sim, `${base}/pullrequests?state=ALL&pagelen=3&fields=values.id,values.updated_on,next`);
    expect(Object.keys(slim.json).sort()).toEqual(['next', 'values']);
    expect(Object.keys(slim.json.values[0]).sort()).toEqual(['id', 'updated_on']);
    const list = await call(sim, `${base}/pullrequests?state=ALL`);
    expect(list.json.values[0]).not.toHaveProperty('participants');
    expect(list.json.values[0]).toHaveProperty('summary');
    const plus = await call(sim, `${base}/pullrequests?state=ALL&fields=${encodeURIComponent('+values.participants,-values.links')}`);
    expect(plus.json.values[0]).toHaveProperty('participants');
    expect(plus.json.values[0]).not.toHaveProperty('links');
    const detail = await call(sim, `${base}/pullrequests/1?fields=id,source.branch.name`);
    expect(detail.json).toEqual({ id: 1, source: { branch: { name: expect.any(String) } } });
  });

  it('accepts slugs and brace-wrapped UUIDs, raw or percent-encoded, and answers 404 like Bitbucket', async () => {
    const repo = firstRepository(sim);
    for (const path of [
      `/repositories/${encodeURIComponent(sim.workspace.uuid)}/${encodeURIComponent(repo.uuid)}`,
      `/repositories/${sim.workspace.slug}/${encodeURIComponent(repo.uuid.toUpperCase())}`,
    ]) {
      expect((await call(sim, path)).json.uuid).toBe(repo.uuid);
    }
    // fetch percent-encodes braces; node:http sends them raw, as curl does.
    const rawStatus = await new Promise<number | undefined>((resolve, reject) => {
      const { hostname, port } = new URL(sim.url);
      const path = `/2.0/repositories/${sim.workspace.uuid}/${repo.uuid}`;
      get({ hostname, port, path, headers: { Authorization: `Bearer ${sim.credentials.admin.token}` } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject);
    });
    expect(rawStatus).toBe(200);
    expect((await call(sim, `/repositories/${sim.workspace.slug}/nope`)).json).toEqual({ type: 'error', error: { message: expect.stringContaining('not found') } });
    const unknown = await call(sim, '/nothing/here');
    expect(unknown.status).toBe(404);
    expect(unknown.json.type).toBe('error');
  });
});
