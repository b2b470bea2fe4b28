import type { DcSimulator } from '../../../src/sandbox/dc-sim';
import { call, FakeClock, BASE_TIME, startSim, type As } from './helpers';

describe('personal access tokens', () => {
  let sim: DcSimulator;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(() => sim.stop());

  it.each<[As, 'admin' | 'user']>([['admin', 'admin'], ['user', 'user'], ['basic-user', 'user']])('%s authenticates as the %s token owner, named in X-AUSERNAME and X-AUSERID', async (as, who) => {
    const reply = await call(sim, '/projects', { as });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-ausername')).toBe(sim.credentials[who].username);
    expect(reply.headers.get('x-auserid')).toBe(String(sim.credentials[who].userId));
    expect(reply.headers.get('x-arequestid')).toMatch(/^@\w+x\d+x\d+x0$/);
  });

  it('names the caller on error answers too', async () => {
    const reply = await call(sim, '/projects/NOPE/repos');
    expect(reply.status).toBe(404);
    expect(reply.headers.get('x-ausername')).toBe('admin');
    expect(reply.json.errors[0]).toEqual({ context: null, message: 'Project NOPE does not exist.', exceptionName: 'com.atlassian.bitbucket.project.NoSuchProjectException' });
  });

  it('answers a revoked, wrong or mismatched token with 401 and Data Center\'s message, before anything else', async () => {
    const { username, token } = sim.credentials.admin;
    const variants = [
      `Bearer ${sim.credentials.revoked.token}`, 'Bearer not-a-token', `Basic ${Buffer.from(`${username}:wrong`).toString('base64')}`,
      `Basic ${Buffer.from(`${sim.credentials.user.username}:${token}`).toString('base64')}`,
    ];
    for (const authorization of variants) {
      for (const path of ['/rest/api/1.0/projects', '/rest/api/1.0/application-properties', '/plugins/servlet/applinks/whoami']) {
        const response = await fetch(`${sim.url}${path}`, { headers: { Authorization: authorization } });
        expect(response.status).toBe(401);
        expect(await response.json()).toEqual({ errors: [{
          context: null, message: 'Authentication failed. Please check your credentials and try again.',
          exceptionName: 'com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException',
        }] });
        expect(response.headers.get('x-ausername')).toBeNull();
      }
    }
    expect(sim.stats().byCredential).toMatchObject({ revoked: 3, invalid: 9 });
  });

  it('lets anonymous callers read only the application properties; whoami answers them with nothing', async () => {
    const props = await call(sim, '/application-properties', { as: 'none' });
    expect(props.status).toBe(200);
    expect(props.json).toEqual({ version: '9.4.0', buildNumber: '9004000', buildDate: expect.stringMatching(/^\d{13}$/), displayName: 'Bitbucket' });
    const projects = await call(sim, '/projects', { as: 'none' });
    expect(projects.status).toBe(401);
    expect(projects.json.errors[0].exceptionName).toBe('com.atlassian.bitbucket.AuthorisationException');
    const whoami = await call(sim, '/plugins/servlet/applinks/whoami', { as: 'none' });
    expect([whoami.status, whoami.text]).toEqual([200, '']);
  });

  it('whoami answers the token owner\'s username in plain text, and /users/{slug} the user', async () => {
    const whoami = await call(sim, '/plugins/servlet/applinks/whoami', { as: 'user' });
    expect(whoami.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(whoami.text).toBe(sim.credentials.user.username);
    const user = await call(sim, `/users/${whoami.text}`, { as: 'user' });
    expect(user.json).toEqual(sim.credentials.user.user);
    expect(user.json).toMatchObject({ name: whoami.text, slug: whoami.text, type: 'NORMAL', active: true, links: { self: [{ href: `${sim.url}/users/${whoami.text}` }] } });
    expect((await call(sim, '/users/nobody')).json.errors[0].exceptionName).toBe('com.atlassian.bitbucket.user.NoSuchUserException');
  });
});

describe('token-bucket rate limit', () => {
  let sim: DcSimulator;
  const clock = new FakeClock(BASE_TIME);
  beforeAll(async () => {
    sim = await startSim({ rateLimit: { capacity: 3, refillPerSecond: 0.5 }, clock });
  });
  afterAll(() => sim.stop());

  it('answers 429 with Retry-After once a user\'s bucket is empty, per user, and refills over time', async () => {
    for (let i = 0; i < 3; i++) expect((await call(sim, '/projects', { as: 'user' })).status).toBe(200);
    const limited = await call(sim, '/projects', { as: 'user' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.headers.get('content-type')).toMatch(/^text\/plain/);
    // Basic auth with the same user's token draws from the same bucket; another user has their own.
    expect((await call(sim, '/projects', { as: 'basic-user' })).status).toBe(429);
    expect((await call(sim, '/projects', { as: 'admin' })).status).toBe(200);
    clock.advance(1000);
    expect((await call(sim, '/projects', { as: 'user' })).headers.get('retry-after')).toBe('1');
    clock.advance(1000);
    expect((await call(sim, '/projects', { as: 'user' })).status).toBe(200);
    expect((await call(sim, '/projects', { as: 'user' })).status).toBe(429);
    clock.advance(60_000);
    for (let i = 0; i < 3; i++) expect((await call(sim, '/projects', { as: 'user' })).status).toBe(200);
    expect(sim.stats().rateLimited).toBe(4);
  });

  it('leaves anonymous resources and the admin API alone, and can be changed or switched off at run time', async () => {
    for (let i = 0; i < 5; i++) expect((await call(sim, '/application-properties', { as: 'none' })).status).toBe(200);
    sim.setRateLimit({ capacity: 1, refillPerSecond: 0 });
    expect((await call(sim, '/projects', { as: 'admin' })).status).toBe(200);
    const storm = await call(sim, '/projects', { as: 'admin' });
    expect([storm.status, storm.headers.get('retry-after')]).toEqual([429, '3600']);
    expect((await fetch(`${sim.url}/_sim/rate-limit`)).status).toBe(200);
    sim.setRateLimit(null);
    for (let i = 0; i < 10; i++) expect((await call(sim, '/projects', { as: 'admin' })).status).toBe(200);
  });
});
