import type { CloudSimulator } from '../../../src/sandbox/cloud-sim';
import { BASE_TIME, call, FakeClock, startSim, type As } from './helpers';

describe('authentication', () => {
  let sim: CloudSimulator;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(() => sim.stop());

  it.each<[As, 'admin' | 'member']>([['admin', 'admin'], ['basic-admin', 'admin'], ['member', 'member']])('%s authenticates as the %s user', async (as, who) => {
    const reply = await call(sim, '/user', { as });
    expect(reply.status).toBe(200);
    expect(reply.json.uuid).toBe(sim.credentials[who].user.uuid);
    expect(reply.json.type).toBe('user');
  });

  it('the app token acts as the app user', async () => {
    const reply = await call(sim, '/user', { as: 'app' });
    expect(reply.json).toMatchObject({ type: 'app_user', display_name: 'PanDev Metrics' });
  });

  it('answers a missing or wrong credential with a plain-text 401 and a Basic challenge', async () => {
    const wrongBasic = `Basic ${Buffer.from(`${sim.credentials.admin.email}:nope`).toString('base64')}`;
    const variants: Record<string, string>[] = [{}, { Authorization: 'Bearer nope' }, { Authorization: wrongBasic }, { Authorization: 'Token abc' }];
    for (const headers of variants) {
      const response = await fetch(`${sim.url}/2.0/user`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="Bitbucket.org HTTP"');
      expect(await response.text()).toMatch(/^Login failed/);
    }
    expect(sim.stats().byCredential).toMatchObject({ anonymous: 1, invalid: 3 });
  });

  it('tells the owner from a member, by workspace permission and by role', async () => {
    const slug = sim.workspace.slug;
    expect((await call(sim, `/user/workspaces/${slug}/permission`)).json.permission).toBe('owner');
    expect((await call(sim, `/user/workspaces/${slug}/permission`, { as: 'member' })).json.permission).toBe('member');
    expect((await call(sim, '/user/workspaces')).json.values[0]).toMatchObject({ type: 'workspace_access', administrator: true });
    expect((await call(sim, '/user/workspaces?administrator=true', { as: 'member' })).json.values).toEqual([]);
    const q = encodeURIComponent(`user.uuid="${sim.credentials.admin.user.uuid}"`);
    const owners = await call(sim, `/workspaces/${slug}/permissions?q=${q}`, { as: 'app' });
    expect(owners.json.values).toEqual([expect.objectContaining({ permission: 'owner', type: 'workspace_membership' })]);
    expect((await call(sim, `/repositories/${slug}?role=admin`)).json.size).toBe(5);
    expect((await call(sim, `/repositories/${slug}?role=admin`, { as: 'member' })).json.size).toBe(0);
    expect((await call(sim, `/repositories/${slug}?role=member`, { as: 'app' })).json.size).toBe(5);
  });
});

describe('rolling-hour rate limit', () => {
  let sim: CloudSimulator;
  const clock = new FakeClock(BASE_TIME);
  beforeAll(async () => {
    sim = await startSim({ rateLimitPerHour: 5, clock });
  });
  afterAll(() => sim.stop());

  it('answers 429 in plain text without Retry-After once a credential used its hour, then recovers', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await call(sim, '/user', { as: 'member' })).status).toBe(200);
      clock.advance(60_000);
    }
    const limited = await call(sim, '/user', { as: 'member' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(limited.text).toBe('Rate limit for this resource has been exceeded');
    expect(limited.headers.get('retry-after')).toBeNull();
    expect(limited.headers.get('x-ratelimit-limit')).toBeNull();
    expect((await call(sim, '/user', { as: 'admin' })).status).toBe(200);
    // The first request leaves the window an hour after it was made, freeing one slot.
    clock.advance(60 * 60_000 - 5 * 60_000 + 1);
    expect((await call(sim, '/user', { as: 'member' })).status).toBe(200);
    expect((await call(sim, '/user', { as: 'member' })).status).toBe(429);
    expect(sim.stats().rateLimited).toBe(2);
  });

  it('gives the app token the scaled-limit headers, near the limit past 80%', async () => {
    const near: string[] = [];
    for (let i = 0; i < 5; i++) {
      const reply = await call(sim, '/user', { as: 'app' });
      expect(reply.headers.get('x-ratelimit-limit')).toBe('5');
      expect(reply.headers.get('x-ratelimit-resource')).toBe('api');
      near.push(reply.headers.get('x-ratelimit-nearlimit') ?? '');
    }
    expect(near).toEqual(['false', 'false', 'false', 'false', 'true']);
    const limited = await call(sim, '/user', { as: 'app' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-nearlimit')).toBe('true');
  });
});
