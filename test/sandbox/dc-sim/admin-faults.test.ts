import type { DcSimulator } from '../../../src/sandbox/dc-sim';
import { call, firstRepository, repoPath, repoRef, startSim, type Json } from './helpers';

const admin = async (sim: DcSimulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> => {
  const response = await fetch(`${sim.url}/_sim${path}`, {
    method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
};

describe('admin API', () => {
  let sim: DcSimulator;
  beforeAll(async () => {
    sim = await startSim({ contextPath: '/bitbucket' });
  });
  afterAll(() => sim.stop());

  it('summarises the instance: URL, version, projects and repositories, sandbox tokens, the corrupt pull request', async () => {
    const { json } = await admin(sim, 'GET', '/instance');
    expect(json).toMatchObject({ url: sim.url, rest: `${sim.url}/rest/api/1.0`, version: '9.4.0', dateFormat: '9.x', corrupt: sim.corrupt, rateLimit: null });
    expect(json.projects).toHaveLength(3);
    expect(json.projects[0].repositories).toHaveLength(3);
    expect(json.credentials.admin).toEqual({ username: 'admin', token: sim.credentials.admin.token, revoked: false });
    expect((await admin(sim, 'GET', '/workspace')).json).toEqual(json);
  });

  it('runs actions with validated input, and answers 400/404/409 for bad ones', async () => {
    const repo = repoRef(firstRepository(sim));
    const opened = await admin(sim, 'POST', '/actions/openPullRequest', { repository: repo, title: 'From the admin API' });
    expect(opened.status).toBe(200);
    expect(opened.json.events.map((e: Json) => e.eventKey)).toEqual(['repo:refs_changed', 'pr:opened']);
    expect((await call(sim, `${repoPath(firstRepository(sim))}/pull-requests/${opened.json.pullRequestId}`)).json.title).toBe('From the admin API');
    expect((await admin(sim, 'POST', '/actions/openPullRequest', { repository: 5 })).status).toBe(400);
    expect((await admin(sim, 'POST', '/actions/nope', {})).status).toBe(404);
    expect((await admin(sim, 'POST', '/actions/mergePullRequest', { repository: 'NOPE/x', pullRequestId: 1 })).status).toBe(404);
    await admin(sim, 'POST', '/actions/mergePullRequest', { repository: repo, pullRequestId: opened.json.pullRequestId });
    expect((await admin(sim, 'POST', '/actions/mergePullRequest', { repository: repo, pullRequestId: opened.json.pullRequestId })).status).toBe(409);
  });

  it('sets the rate limit, registers webhooks and counts requests by route and credential', async () => {
    expect((await admin(sim, 'PUT', '/rate-limit', { capacity: 1, refillPerSecond: 0 })).status).toBe(204);
    expect((await admin(sim, 'GET', '/rate-limit')).json).toEqual({ capacity: 1, refillPerSecond: 0 });
    await admin(sim, 'POST', '/stats/reset');
    const path = `${repoPath(firstRepository(sim))}/pull-requests`;
    expect((await call(sim, path, { as: 'user' })).status).toBe(200);
    expect((await call(sim, path, { as: 'user' })).status).toBe(429);
    expect((await admin(sim, 'PUT', '/rate-limit', null)).status).toBe(204);
    await call(sim, '/rest/api/latest/projects', { as: 'revoked' });
    const stats = (await admin(sim, 'GET', '/stats')).json;
    expect(stats).toMatchObject({
      total: 3, rateLimited: 1, byCredential: { user: 2, revoked: 1 },
      byRoute: { 'GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/pull-requests': 2, 'GET /rest/api/1.0/projects': 1 },
    });
    const hook = await admin(sim, 'POST', '/webhooks', { url: 'http://127.0.0.1:9/x', secret: 's', events: ['pr:opened'] });
    expect(hook.status).toBe(201);
    expect((await admin(sim, 'GET', '/webhooks')).json.webhooks).toEqual([{ id: hook.json.id, url: 'http://127.0.0.1:9/x', secret: 's', events: ['pr:opened'] }]);
    expect((await admin(sim, 'DELETE', `/webhooks/${hook.json.id}`)).status).toBe(204);
    expect((await admin(sim, 'POST', '/webhooks', { url: 'not a url' })).status).toBe(400);
  });
});

describe('admin API from a web page', () => {
  let sim: DcSimulator;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(() => sim.stop());

  it('refuses mutations a page of another origin can send without a preflight', async () => {
    const forge = (path: string, headers: Record<string, string>, body?: unknown): Promise<Response> =>
      fetch(`${sim.url}/_sim${path}`, { method: 'POST', headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const hook = { url: 'http://127.0.0.1:9/collect', secret: 's' };
    const evil = { 'content-type': 'text/plain;charset=UTF-8', origin: 'http://evil.example' };
    expect((await forge('/webhooks', evil, hook)).status).toBe(403);
    expect((await forge('/webhooks', { 'content-type': 'text/plain' }, hook)).status).toBe(415);
    expect((await forge('/stats/reset', { origin: 'null' })).status).toBe(403);
    expect((await admin(sim, 'GET', '/webhooks')).json.webhooks).toEqual([]);
    expect((await forge('/webhooks', { 'content-type': 'application/json', origin: new URL(sim.url).origin }, hook)).status).toBe(201);
  });
});

describe('fault injection', () => {
  let sim: DcSimulator;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(() => sim.stop());

  it('fails, garbles, delays or drops matching requests, then expires', async () => {
    const pulls = `${repoPath(firstRepository(sim))}/pull-requests`;
    sim.faults.add({ path: '/pull-requests$', status: 503, times: 2 });
    expect((await call(sim, pulls)).status).toBe(503);
    expect((await call(sim, pulls)).json.errors[0].message).toBe('Simulated fault (HTTP 503)');
    expect((await call(sim, pulls)).status).toBe(200);
    const garbled = sim.faults.add({ path: '/projects$', body: '{"size": 1, "values": [' });
    expect((await call(sim, '/projects')).json).toBeUndefined();
    sim.faults.remove(garbled);
    sim.faults.add({ method: 'GET', path: '/application-properties', drop: true, times: 1 });
    await expect(fetch(`${sim.url}/rest/api/1.0/application-properties`)).rejects.toThrow();
    sim.faults.add({ path: '/projects$', latencyMs: 150, times: 1 });
    const started = Date.now();
    expect((await call(sim, '/projects')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(sim.stats().faulted).toBe(5);
    sim.faults.clear();
  });
});

describe('live activity', () => {
  it('changes the instance on a timer until stopped, without failing moves', async () => {
    const sim = await startSim({ seed: 'live' });
    const warn = jest.spyOn(console, 'warn');
    try {
      const stop = sim.startActivity({ intervalMs: 5 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      stop();
      const changed = sim.model.repositories.reduce((sum, repo) => sum + repo.live.size + repo.commits.size, 0);
      expect(changed).toBeGreaterThan(5);
      expect(warn).not.toHaveBeenCalled();
      const after = changed;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sim.model.repositories.reduce((sum, repo) => sum + repo.live.size + repo.commits.size, 0)).toBe(after);
    } finally {
      warn.mockRestore();
      await sim.stop();
    }
  });
});
