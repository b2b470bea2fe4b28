import type { CloudSimulator } from '../../../src/sandbox/cloud-sim';
import { routeLabel } from '../../../src/sandbox/sim-common/router';
import { routes } from '../../../src/sandbox/cloud-sim/routes';
import { call, repoPath, startSim, type Json } from './helpers';
import { loadSpecOrSkip, specValidator, type SpecValidator } from './spec';

const spec = loadSpecOrSkip();

/**
 * Where the spec gives no response schema: the PR commits endpoint returns a page of commits, and
 * the PR diffstat endpoint redirects (302) to the repository diffstat, whose schema applies. The
 * activity endpoints have no schema at all; their entries' parts are checked one by one below.
 */
const UNDOCUMENTED: Record<string, string> = {
  '/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/commits': 'paginated_changeset',
  '/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/diffstat': 'paginated_diffstats',
};
const ACTIVITY = ['/repositories/{workspace}/{repo_slug}/pullrequests/activity', '/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/activity'];

/** A concrete request for every GET route, chosen so the response has content worth validating. */
function requests(sim: CloudSimulator): Record<string, string> {
  const repo = [...sim.model.repositories.values()].find((candidate) => candidate.tags.size > 0 && candidate.deployments.length > 0);
  if (!repo) throw new Error('the seeded workspace should have a repository with tags and deployments');
  const base = repoPath(sim, repo);
  const merged = [...repo.pullRequests.values()].find((pr) => pr.state === 'MERGED' && pr.comments.length > 0) ?? [...repo.pullRequests.values()][0];
  const [statusHash, byKey] = [...repo.statuses].at(-1) ?? [];
  const tag = [...repo.tags.keys()][0] as string;
  const enc = encodeURIComponent;
  const pr = `${base}/pullrequests/${merged?.id}`;
  return {
    '/user': '/user',
    '/user/workspaces': '/user/workspaces',
    '/user/workspaces/{workspace}/permission': `/user/workspaces/${sim.workspace.slug}/permission`,
    '/users/{selected_user}': `/users/${enc(sim.model.users[3]?.uuid ?? '')}`,
    '/workspaces/{workspace}': `/workspaces/${enc(sim.workspace.uuid)}`,
    '/workspaces/{workspace}/permissions': `/workspaces/${sim.workspace.slug}/permissions`,
    '/workspaces/{workspace}/projects': `/workspaces/${sim.workspace.slug}/projects`,
    '/repositories/{workspace}': `/repositories/${sim.workspace.slug}`,
    '/repositories/{workspace}/{repo_slug}': base,
    '/repositories/{workspace}/{repo_slug}/pullrequests': `${base}/pullrequests?state=ALL&pagelen=50&fields=${enc('+values.participants,+values.reviewers,+values.rendered')}`,
    '/repositories/{workspace}/{repo_slug}/pullrequests/activity': `${base}/pullrequests/activity?pagelen=50`,
    '/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}': pr,
    '/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/activity': `${pr}/activity`,
    '/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/commits': `${pr}/commits`,
    '/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/diffstat': `${pr}/diffstat`,
    '/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments': `${pr}/comments`,
    '/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments/{comment_id}': `${pr}/comments/${merged?.comments[0]?.id}`,
    '/repositories/{workspace}/{repo_slug}/commits': `${base}/commits?pagelen=100`,
    '/repositories/{workspace}/{repo_slug}/commits/{revision}': `${base}/commits/${repo.mainBranch}?pagelen=100`,
    '/repositories/{workspace}/{repo_slug}/commit/{commit}': `${base}/commit/${merged?.mergeHash ?? repo.mainBranch}`,
    '/repositories/{workspace}/{repo_slug}/commit/{commit}/statuses': `${base}/commit/${statusHash}/statuses`,
    '/repositories/{workspace}/{repo_slug}/commit/{commit}/statuses/build/{key}': `${base}/commit/${statusHash}/statuses/build/${enc([...(byKey?.keys() ?? [])][0] ?? '')}`,
    '/repositories/{workspace}/{repo_slug}/diffstat/{spec}': `${base}/diffstat/${repo.mainBranch}`,
    '/repositories/{workspace}/{repo_slug}/refs': `${base}/refs?pagelen=100`,
    '/repositories/{workspace}/{repo_slug}/refs/branches': `${base}/refs/branches?pagelen=100`,
    '/repositories/{workspace}/{repo_slug}/refs/branches/{name}': `${base}/refs/branches/${repo.mainBranch}`,
    '/repositories/{workspace}/{repo_slug}/refs/tags': `${base}/refs/tags`,
    '/repositories/{workspace}/{repo_slug}/refs/tags/{name}': `${base}/refs/tags/${enc(tag)}`,
    '/repositories/{workspace}/{repo_slug}/pipelines': `${base}/pipelines?pagelen=100`,
    '/repositories/{workspace}/{repo_slug}/pipelines/{pipeline_uuid}': `${base}/pipelines/${enc(repo.pipelines[0]?.uuid ?? '')}`,
    '/repositories/{workspace}/{repo_slug}/deployments': `${base}/deployments?pagelen=100`,
    '/repositories/{workspace}/{repo_slug}/deployments/{deployment_uuid}': `${base}/deployments/${enc(repo.deployments[0]?.uuid ?? '')}`,
    '/repositories/{workspace}/{repo_slug}/environments': `${base}/environments`,
    '/repositories/{workspace}/{repo_slug}/environments/{environment_uuid}': `${base}/environments/${enc(repo.environments[2]?.uuid ?? '')}`,
  };
}

/** Activity entries: each part against the component schema it is an instance of. */
function activityErrors(validator: SpecValidator, entries: Json[]): unknown[] {
  return entries.flatMap((entry) => [
    ...validator.validate('pullrequest', entry.pull_request),
    ...(entry.comment ? validator.validate('pullrequest_comment', entry.comment) : []),
    ...(entry.update ? [...validator.validate('account', entry.update.author), ...validator.validate('pullrequest_endpoint', entry.update.source), ...validator.validate('pullrequest_endpoint', entry.update.destination)] : []),
    ...['approval', 'changes_request'].flatMap((kind) => (entry[kind] ? [...validator.validate('account', entry[kind].user), ...validator.validate('pullrequest', entry[kind].pullrequest)] : [])),
  ]);
}

(spec ? describe : describe.skip)('spec conformance of every GET route', () => {
  let sim: CloudSimulator;
  const validator = spec ? specValidator(spec) : undefined;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(() => sim.stop());

  it('covers every GET route the simulator serves, and each exists in the spec', () => {
    const served = routes.filter((route) => route.method === 'GET').map((route) => routeLabel(route).slice('GET '.length));
    expect(Object.keys(requests(sim)).sort()).toEqual([...served].sort());
    for (const template of served) expect(spec.paths[template]).toBeDefined();
  });

  it.each(routes.filter((route) => route.method === 'GET').map((route) => routeLabel(route).slice('GET '.length)))('GET %s', async (template) => {
    const reply = await call(sim, requests(sim)[template] as string);
    expect(reply.status).toBe(200);
    const v = validator as SpecValidator;
    if (ACTIVITY.includes(template)) {
      expect(reply.json.values.length).toBeGreaterThan(0);
      expect(activityErrors(v, reply.json.values)).toEqual([]);
      return;
    }
    const schema = v.responseSchema(template) ?? UNDOCUMENTED[template];
    expect(schema).toBeDefined();
    expect(v.validate(schema as string, reply.json)).toEqual([]);
    if (Array.isArray(reply.json.values)) expect(reply.json.values.length).toBeGreaterThan(0);
  });
});
