import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudSimulator, ForgeEvent } from '../../../src/sandbox/cloud-sim';
import { call, firstRepository, startSim, type Json } from './helpers';

async function admin(sim: CloudSimulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${sim.url}/_sim${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

/** A loopback receiver that records what the simulator POSTs to it. */
async function receiver(): Promise<{ server: Server; url: string; received: ForgeEvent[] }> {
  const received: ForgeEvent[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, received };
}

describe('admin API', () => {
  let sim: CloudSimulator;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(() => sim.stop());

  it('summarises the workspace and the sandbox credentials', async () => {
    const { json } = await admin(sim, 'GET', '/workspace');
    expect(json).toMatchObject({ url: sim.url, api: `${sim.url}/2.0`, workspace: { uuid: sim.workspace.uuid, slug: sim.workspace.slug } });
    expect(json.repositories).toHaveLength(5);
    expect(json.credentials.admin).toMatchObject({ token: sim.credentials.admin.token, email: sim.credentials.admin.email });
    expect((await call(sim, '/user', { as: 'none' })).status).toBe(401);
  });

  it('runs actions and returns their events; bad input is 400, unknown 404, impossible 409', async () => {
    const repository = firstRepository(sim).slug;
    const opened = await admin(sim, 'POST', '/actions/openPullRequest', { repository, title: 'From the admin API' });
    expect(opened.status).toBe(200);
    expect(opened.json.events.map((event: Json) => event.eventType)).toEqual(['avi:bitbucket:push:repository', 'avi:bitbucket:created:pullrequest']);
    expect((await call(sim, `/repositories/${sim.workspace.slug}/${repository}/pullrequests/${opened.json.pullRequestId}`)).json.title).toBe('From the admin API');
    expect((await admin(sim, 'POST', '/actions/openPullRequest', { repository: 42 })).status).toBe(400);
    expect((await admin(sim, 'POST', '/actions/launchRocket', {})).status).toBe(404);
    expect((await admin(sim, 'POST', '/actions/mergePullRequest', { repository: 'nope', pullRequestId: 1 })).status).toBe(404);
    await admin(sim, 'POST', '/actions/declinePullRequest', { repository, pullRequestId: opened.json.pullRequestId });
    expect((await admin(sim, 'POST', '/actions/mergePullRequest', { repository, pullRequestId: opened.json.pullRequestId })).status).toBe(409);
  });

  it('delivers every event to subscribers, in order, and to onEvent listeners', async () => {
    const target = await receiver();
    const listened: ForgeEvent[] = [];
    const unsubscribe = sim.onEvent((event) => listened.push(event));
    try {
      expect((await admin(sim, 'POST', '/subscriptions', { url: target.url })).status).toBe(201);
      const repository = firstRepository(sim).uuid;
      const opened = sim.actions.openPullRequest({ repository });
      const approved = sim.actions.approvePullRequest({ repository, pullRequestId: opened.pullRequestId });
      const expected = [...opened.events, ...approved.events];
      for (let i = 0; i < 50 && target.received.length < expected.length; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(target.received).toEqual(expected);
      expect(listened).toEqual(expected);
      expect((await admin(sim, 'DELETE', '/subscriptions')).status).toBe(204);
      expect((await admin(sim, 'POST', '/subscriptions', { url: 'ftp://x' })).status).toBe(400);
    } finally {
      unsubscribe();
      target.server.close();
    }
  });

  it('refuses mutations a page of another origin can send without a preflight', async () => {
    const forge = (path: string, headers: Record<string, string>, body?: unknown): Promise<Response> =>
      fetch(`${sim.url}/_sim${path}`, { method: 'POST', headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const evil = { 'content-type': 'text/plain;charset=UTF-8', origin: 'http://evil.example' };
    const subscribed = await forge('/subscriptions', evil, { url: 'http://127.0.0.1:9/collect' });
    expect([subscribed.status, await subscribed.json()]).toEqual([403, { error: expect.stringContaining('http://evil.example') }]);
    expect((await forge('/faults', evil, { status: 500 })).status).toBe(403);
    expect((await forge('/stats/reset', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await forge('/faults', { 'content-type': 'text/plain' }, { status: 500 })).status).toBe(415);
    expect((await call(sim, '/user')).status).toBe(200);
    // Reads stay open (a page of another origin cannot read the answers), and the sim's own origin may act.
    expect((await fetch(`${sim.url}/_sim/stats`, { headers: { origin: 'http://evil.example' } })).status).toBe(200);
    expect((await forge('/stats/reset', { origin: sim.url })).status).toBe(204);
  });

  it('reports and resets request statistics', async () => {
    await admin(sim, 'POST', '/stats/reset');
    await call(sim, '/user');
    await call(sim, '/user', { as: 'app' });
    await call(sim, `/repositories/${sim.workspace.slug}`, { as: 'member' });
    const { json } = await admin(sim, 'GET', '/stats');
    expect(json).toEqual({
      total: 3, rateLimited: 0, faulted: 0,
      byRoute: { 'GET /user': 2, 'GET /repositories/{workspace}': 1 },
      byCredential: { admin: 1, app: 1, member: 1 },
    });
  });

  it('generates live activity until stopped', async () => {
    const events: ForgeEvent[] = [];
    const unsubscribe = sim.onEvent((event) => events.push(event));
    const stop = sim.startActivity({ intervalMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop();
    const count = events.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    unsubscribe();
    expect(count).toBeGreaterThan(10);
    expect(events).toHaveLength(count);
    expect(new Set(events.map((event) => event.eventType)).size).toBeGreaterThan(3);
  });
});
