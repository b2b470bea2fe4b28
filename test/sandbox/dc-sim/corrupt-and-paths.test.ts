import type { DcSimulator } from '../../../src/sandbox/dc-sim';
import { call, collect, firstRepository, repoPath, startSim, type Json } from './helpers';

describe('the corrupt pull request', () => {
  let sim: DcSimulator;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(() => sim.stop());

  it('answers 500 with a Data Center error on its own endpoints, every time', async () => {
    const { projectKey, repositorySlug, pullRequestId } = sim.corrupt!;
    const base = `/projects/${projectKey}/repos/${repositorySlug}/pull-requests/${pullRequestId}`;
    for (const suffix of ['', '/activities', '/commits', '/changes', '/activities?start=0&limit=100']) {
      for (let attempt = 0; attempt < 2; attempt++) {
        const reply = await call(sim, `${base}${suffix}`);
        expect(reply.status).toBe(500);
        expect(reply.json.errors[0]).toMatchObject({ context: null, exceptionName: 'com.atlassian.bitbucket.ServiceException' });
      }
    }
  });

  it('is listed like any other, and every other pull request answers', async () => {
    const { projectKey, repositorySlug, pullRequestId } = sim.corrupt!;
    const repo = sim.model.repository(projectKey, repositorySlug)!;
    const { values } = await collect(sim, `${repoPath(repo)}/pull-requests?state=ALL`);
    expect(values.map((pr: Json) => pr.id)).toContain(pullRequestId);
    for (const pr of values.filter((candidate: Json) => candidate.id !== pullRequestId)) {
      for (const suffix of ['', '/activities', '/commits', '/changes']) expect((await call(sim, `${repoPath(repo)}/pull-requests/${pr.id}${suffix}`)).status).toBe(200);
    }
  });

  it('can be switched off', async () => {
    const clean = await startSim({ corruptPullRequest: false });
    try {
      expect(clean.corrupt).toBeUndefined();
      const { projectKey, repositorySlug, pullRequestId } = sim.corrupt!;
      expect((await call(clean, `/projects/${projectKey}/repos/${repositorySlug}/pull-requests/${pullRequestId}`)).status).toBe(200);
    } finally {
      await clean.stop();
    }
  });
});

describe('context path and not-found answers', () => {
  let sim: DcSimulator;
  beforeAll(async () => {
    sim = await startSim({ contextPath: '/bitbucket/' });
  });
  afterAll(() => sim.stop());

  it('serves everything under the context path, links included', async () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/bitbucket$/);
    const projects = await call(sim, '/projects');
    expect(projects.status).toBe(200);
    expect(projects.json.values[0].links.self[0].href).toBe(`${sim.url}/projects/${projects.json.values[0].key}`);
    expect((await call(sim, '/rest/api/latest/projects')).json).toEqual(projects.json);
    expect((await call(sim, '/plugins/servlet/applinks/whoami')).text).toBe('admin');
    expect((await fetch(`${sim.url}/_sim/instance`)).status).toBe(200);
  });

  it('answers the servlet container\'s HTML 404 outside the context path, even with a good token', async () => {
    const root = sim.url.replace(/\/bitbucket$/, '');
    for (const path of ['/rest/api/1.0/projects', '/rest/api/1.0/application-properties', '/bitbucketx/rest/api/1.0/projects']) {
      const response = await fetch(`${root}${path}`, { headers: { Authorization: `Bearer ${sim.credentials.admin.token}` } });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain('HTTP Status 404 – Not Found');
      expect(response.headers.get('x-ausername')).toBeNull();
    }
  });

  it('answers Bitbucket\'s own HTML 404 for a path inside it that is no page (a context path too many)', async () => {
    const plain = await startSim();
    try {
      const response = await fetch(`${plain.url}/bitbucket/rest/api/1.0/projects`, { headers: { Authorization: `Bearer ${plain.credentials.admin.token}` } });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain('Page not found - Bitbucket');
    } finally {
      await plain.stop();
    }
  });

  it('answers JSON 404s with Data Center\'s exception names inside the REST API', async () => {
    const repo = firstRepository(sim);
    const cases: [string, string][] = [
      ['/projects/NOPE', 'com.atlassian.bitbucket.project.NoSuchProjectException'],
      [`/projects/${repo.projectKey}/repos/nope`, 'com.atlassian.bitbucket.repository.NoSuchRepositoryException'],
      [`${repoPath(repo)}/pull-requests/99999`, 'com.atlassian.bitbucket.pull.NoSuchPullRequestException'],
      [`${repoPath(repo)}/commits/${'a'.repeat(40)}`, 'com.atlassian.bitbucket.commit.NoSuchCommitException'],
    ];
    for (const [path, exceptionName] of cases) {
      const reply = await call(sim, path);
      expect([reply.status, reply.json.errors[0].exceptionName]).toEqual([404, exceptionName]);
    }
    const unknown = await call(sim, '/no-such-resource');
    expect([unknown.status, unknown.json.errors.length]).toEqual([404, 1]);
    expect((await call(sim, `/projects/${repo.projectKey.toLowerCase()}`)).status).toBe(200);
  });
});
