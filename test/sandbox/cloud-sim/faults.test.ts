import type { CloudSimulator } from '../../../src/sandbox/cloud-sim';
import { call, firstRepository, repoPath, startSim } from './helpers';

describe('fault injection', () => {
  let sim: CloudSimulator;
  let prs: string;
  beforeAll(async () => {
    sim = await startSim();
    prs = `${repoPath(sim, firstRepository(sim))}/pullrequests`;
  });
  afterEach(() => sim.faults.clear());
  afterAll(() => sim.stop());

  it('fails matching requests with a status, `times` times, then expires', async () => {
    sim.resetStats();
    sim.faults.add({ path: '/pullrequests$', status: 503, times: 2 });
    expect((await call(sim, '/user')).status).toBe(200);
    expect((await call(sim, prs)).status).toBe(503);
    expect((await call(sim, prs)).status).toBe(503);
    expect((await call(sim, prs)).status).toBe(200);
    expect(sim.stats()).toMatchObject({ total: 4, faulted: 2, byRoute: { 'GET /repositories/{workspace}/{repo_slug}/pullrequests': 3, 'GET /user': 1 } });
  });

  it('matches by method, and fires before authentication like a failing edge would', async () => {
    sim.faults.add({ method: 'POST', status: 500 });
    expect((await call(sim, prs)).status).toBe(200);
    expect((await call(sim, `${prs}/1/comments`, { method: 'POST', body: { content: { raw: 'x' } }, as: 'none' })).status).toBe(500);
  });

  it('answers a malformed body', async () => {
    sim.faults.add({ path: '/pullrequests', body: '{"values": [', times: 1 });
    const reply = await call(sim, prs);
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('{"values": [');
    expect(reply.json).toBeUndefined();
  });

  it('delays, then answers normally', async () => {
    const id = sim.faults.add({ path: '^/2.0/user$', latencyMs: 150 });
    const started = Date.now();
    expect((await call(sim, '/user')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    sim.faults.remove(id);
    const again = Date.now();
    await call(sim, '/user');
    expect(Date.now() - again).toBeLessThan(140);
  });

  it('drops the connection without an answer', async () => {
    sim.faults.add({ path: '/user', drop: true, times: 1 });
    await expect(fetch(`${sim.url}/2.0/user`, { headers: { Authorization: `Bearer ${sim.credentials.admin.token}` } })).rejects.toThrow();
    expect((await call(sim, '/user')).status).toBe(200);
  });

  it('applies a probability with the seeded stream', async () => {
    sim.faults.add({ path: '/user', status: 500, probability: 0 });
    expect((await call(sim, '/user')).status).toBe(200);
    sim.faults.clear();
    sim.faults.add({ path: '/user', status: 500, probability: 0.5 });
    const statuses = await Promise.all(Array.from({ length: 40 }, () => call(sim, '/user').then((reply) => reply.status)));
    expect(statuses).toContain(500);
    expect(statuses).toContain(200);
  });

  it('takes rules over the admin API', async () => {
    const created = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: '/user', status: 403, times: 1 }) });
    expect(created.status).toBe(201);
    expect((await call(sim, '/user')).status).toBe(403);
    expect((await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'x' }) })).status).toBe(400);
    await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: '/user', status: 500 }) });
    expect((await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(sim, '/user')).status).toBe(200);
  });
});
