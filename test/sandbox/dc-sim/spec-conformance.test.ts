import type { DcSimulator } from '../../../src/sandbox/dc-sim';
import { apiRoutes, buildRoutes } from '../../../src/sandbox/dc-sim/routes';
import { call, firstRepository, repoPath, repoRef, startSim, type Json } from './helpers';
import { loadSpecOrSkip, specValidator, type SpecValidator } from './spec';

const spec = loadSpecOrSkip();

const templates = (area: 'api' | 'build') => (area === 'api' ? apiRoutes : buildRoutes).filter((route) => route.method === 'GET').map((route) => route.template);

/** A concrete request for every GET route, chosen so the response has content worth validating. */
function requests(sim: DcSimulator): Record<string, string> {
  const repo = firstRepository(sim);
  const base = repoPath(repo);
  const merged = repo.seeded.find((pr) => pr.state === 'MERGED' && pr.addedCommits > 0 && pr.id !== sim.corrupt?.pullRequestId) ?? repo.seeded[0];
  const pr = `${base}/pull-requests/${merged?.id}`;
  const mergeCommit = repo.mainLine.length - 1;
  const head = sim.model.commitIds.encode({ kind: 'main', repoIndex: repo.index, index: mergeCommit });
  return {
    '/application-properties': '/application-properties',
    '/users/{userSlug}': `/users/${sim.credentials.user.username}`,
    '/projects': '/projects',
    '/projects/{projectKey}': `/projects/${repo.projectKey}`,
    '/projects/{projectKey}/repos': `/projects/${repo.projectKey}/repos`,
    '/repos': '/repos?limit=100',
    '/projects/{projectKey}/repos/{repositorySlug}': base,
    '/projects/{projectKey}/repos/{repositorySlug}/pull-requests': `${base}/pull-requests?state=ALL&limit=100`,
    '/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}': pr,
    '/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/activities': `${pr}/activities`,
    '/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/commits': `${pr}/commits`,
    '/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/changes': `${pr}/changes`,
    '/projects/{projectKey}/repos/{repositorySlug}/commits': `${base}/commits?limit=100`,
    '/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}': `${base}/commits/${head}`,
    '/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/changes': `${base}/commits/${head}/changes`,
    '/projects/{projectKey}/repos/{repositorySlug}/branches': `${base}/branches`,
    '/projects/{projectKey}/repos/{repositorySlug}/tags': `${base}/tags`,
    'build:/commits/{commitId}': `/rest/build-status/1.0/commits/${head}`,
  };
}

/** Activity entries: the parts the spec's RestPullRequestActivity leaves out, each against its own schema. */
function activityErrors(validator: SpecValidator, entries: Json[]): unknown[] {
  return entries.flatMap((entry) => [
    ...(entry.comment ? validator.validate('RestComment', entry.comment) : []),
    ...(entry.commit ? validator.validate('RestCommit', entry.commit) : []),
    ...['added', 'removed'].flatMap((part) => (entry[part]?.commits ?? []).flatMap((c: Json) => validator.validate('RestCommit', c))),
    ...['addedReviewers', 'removedReviewers'].flatMap((part) => (entry[part] ?? []).flatMap((u: Json) => validator.validate('RestApplicationUser', u))),
  ]);
}

describe.each(['9.x', '10.x'] as const)('spec conformance of every GET route (%s dates)', (dateFormat) => {
  let sim: DcSimulator;
  const validator = spec ? specValidator(spec, dateFormat) : undefined;
  beforeAll(async () => {
    sim = await startSim({ dateFormat });
    // Live changes too, so their shapes (UPDATED, EDITED comments, replies, builds) are checked as well.
    const repo = firstRepository(sim);
    const { pullRequestId } = sim.actions.openPullRequest({ repository: repoRef(repo) });
    sim.actions.updateReviewers({ repository: repoRef(repo), pullRequestId });
    const { commentId } = sim.actions.addComment({ repository: repoRef(repo), pullRequestId });
    sim.actions.addComment({ repository: repoRef(repo), pullRequestId, parentId: commentId, text: 'Agreed.' });
    sim.actions.editComment({ repository: repoRef(repo), pullRequestId, commentId, text: 'Edited.' });
    sim.actions.setBuildStatus({ repository: repoRef(repo), commit: repo.defaultBranch, key: 'DEPLOY', state: 'INPROGRESS' });
  });
  afterAll(() => sim?.stop());

  (spec ? it : it.skip)('covers every GET route the simulator serves, and each exists in the spec', () => {
    const served = [...templates('api'), ...templates('build').map((template) => `build:${template}`)];
    expect(Object.keys(requests(sim)).sort()).toEqual(served.sort());
    for (const template of templates('api')) expect(validator?.hasGet(validator.specPath(template, 'api'))).toBe(true);
    for (const template of templates('build')) expect(validator?.hasGet(validator.specPath(template, 'build'))).toBe(true);
  });

  const all = [...templates('api').map((t) => ['api', t] as const), ...templates('build').map((t) => ['build', t] as const)];
  (spec ? it.each(all) : it.skip.each(all))('GET (%s) %s', async (area, template) => {
    const v = validator as SpecValidator;
    const reply = await call(sim, requests(sim)[area === 'api' ? template : `build:${template}`] as string);
    expect(reply.status).toBe(200);
    expect(v.validateResponse(v.specPath(template, area), reply.json)).toEqual([]);
    if (Array.isArray(reply.json.values)) {
      expect(reply.json.values.length).toBeGreaterThan(0);
      if (template.endsWith('/activities')) expect(activityErrors(v, reply.json.values)).toEqual([]);
    }
  });

  (spec ? it : it.skip)('live pull requests validate too: UPDATED, edited comments, replies', async () => {
    const v = validator as SpecValidator;
    const repo = firstRepository(sim);
    const id = repo.nextPullRequestId - 1;
    const activities = await call(sim, `${repoPath(repo)}/pull-requests/${id}/activities`);
    expect(activities.json.values.map((a: Json) => a.action)).toEqual(expect.arrayContaining(['OPENED', 'UPDATED', 'COMMENTED']));
    expect(v.validateResponse(v.specPath('/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/activities', 'api'), activities.json)).toEqual([]);
    expect(activityErrors(v, activities.json.values)).toEqual([]);
    const pr = await call(sim, `${repoPath(repo)}/pull-requests/${id}`);
    expect(v.validate('RestPullRequest', pr.json)).toEqual([]);
  });
});
