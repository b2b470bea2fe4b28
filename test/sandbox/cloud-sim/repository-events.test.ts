import type { CloudSimulator, DeploymentEvent } from '../../../src/sandbox/cloud-sim';
import type { Repository } from '../../../src/sandbox/cloud-sim/model/types';
import { only, scope, UUID, ZULU } from './events';
import { BASE_TIME, call, FakeClock, firstRepository, repoPath, startSim, type Json } from './helpers';

describe('repository mutations and their Forge events', () => {
  let sim: CloudSimulator;
  let repo: Repository;
  const clock = new FakeClock(BASE_TIME + 3_600_000);
  beforeAll(async () => {
    sim = await startSim({ clock });
    repo = firstRepository(sim);
  });
  afterAll(() => sim.stop());

  it('pushes to the main branch: newest commit first, visible in history right away', async () => {
    const before = repo.branches.get(repo.mainBranch);
    const result = sim.actions.pushCommits({ repository: repo.slug, messages: ['Bump deps', 'Fix build'] });
    const [push] = only(result.events, 'avi:bitbucket:push:repository');
    expect(push).toEqual({
      eventType: 'avi:bitbucket:push:repository', ...scope(sim, repo),
      push: {
        ref: repo.mainBranch, mainbranch: true, before, after: result.commits[1], created: false, closed: false, forced: false, truncated: false,
        commits: [1, 0].map((i) => ({
          hash: result.commits[i], message: { value: i ? 'Fix build\n' : 'Bump deps\n', truncated: false },
          date: expect.stringMatching(/\.000000Z$/), author: { user: push?.actor },
        })),
      },
    });
    const history = (await call(sim, `${repoPath(sim, repo)}/commits/${repo.mainBranch}?pagelen=2`)).json.values;
    expect(history.map((commit: Json) => commit.hash)).toEqual([result.commits[1], result.commits[0]]);
    expect(history[0].message).toBe('Fix build\n');
  });

  it('creates and deletes branches and tags as pushes', async () => {
    const created = sim.actions.createBranch({ repository: repo.slug, name: 'release/2.0' });
    expect(created.events[0]).toMatchObject({ push: { ref: 'release/2.0', created: true, closed: false, commits: [] } });
    expect((await call(sim, `${repoPath(sim, repo)}/refs/branches/release%2F2.0`)).json.target.hash).toBe(repo.branches.get(repo.mainBranch));
    expect(() => sim.actions.createBranch({ repository: repo.slug, name: 'release/2.0' })).toThrow(/exists/);
    expect(sim.actions.deleteBranch({ repository: repo.slug, name: 'release/2.0' }).events[0]).toMatchObject({ push: { ref: 'release/2.0', closed: true } });
    const annotated = sim.actions.createTag({ repository: repo.slug, name: 'v9.0.0', message: 'Release 9' });
    expect(annotated.events[0]).toMatchObject({ push: { ref: 'v9.0.0', created: true, date: expect.stringMatching(ZULU), message: { value: 'Release 9\n', truncated: false }, author: { user: { type: 'user' } } } });
    const light = sim.actions.createTag({ repository: repo.slug, name: 'nightly' });
    expect(light.events[0]).toMatchObject({ push: { ref: 'nightly', created: true } });
    expect((light.events[0] as Json).push).not.toHaveProperty('message');
    const tags = (await call(sim, `${repoPath(sim, repo)}/refs/tags?q=${encodeURIComponent('name="nightly"')}`)).json.values;
    expect(tags).toEqual([expect.objectContaining({ name: 'nightly', message: null, tagger: null, type: 'tag' })]);
    expect(sim.actions.deleteTag({ repository: repo.slug, name: 'nightly' }).events[0]).toMatchObject({ push: { ref: 'nightly', closed: true, created: false } });
  });

  it('creates then updates a build status', async () => {
    const tip = repo.branches.get(repo.mainBranch) as string;
    const created = sim.actions.setBuildStatus({ repository: repo.slug, commit: repo.mainBranch, key: 'jenkins-42', state: 'INPROGRESS', refname: repo.mainBranch });
    clock.advance(120_000);
    const updated = sim.actions.setBuildStatus({ repository: repo.slug, commit: tip, key: 'jenkins-42', state: 'FAILED' });
    const [first] = only(created.events, 'avi:bitbucket:created:build-status');
    const [second] = only(updated.events, 'avi:bitbucket:updated:build-status');
    expect(first).toMatchObject({ ...scope(sim, repo), buildStatus: { key: 'jenkins-42', commit: { hash: tip }, state: 'INPROGRESS', refName: repo.mainBranch } });
    expect(second?.buildStatus).toMatchObject({ state: 'FAILED', createdOn: first?.buildStatus.createdOn });
    expect((second?.buildStatus.updatedOn ?? '') > (first?.buildStatus.updatedOn ?? '')).toBe(true);
    const api = (await call(sim, `${repoPath(sim, repo)}/commit/${tip}/statuses/build/jenkins-42`)).json;
    expect(api).toMatchObject({ type: 'build', key: 'jenkins-42', state: 'FAILED', refname: repo.mainBranch, commit: { hash: tip } });
  });

  it('runs a deployment: pending, started and completed events, then the API shows it completed', async () => {
    const result = sim.actions.runDeployment({ repository: repo.slug, environment: 'Production', outcome: 'FAILED' });
    const deployments = result.events.filter((event): event is DeploymentEvent => event.eventType.endsWith(':deployment'));
    expect(deployments.map((event) => [event.eventType, event.deployment.state, event.deployment.status])).toEqual([
      ['avi:bitbucket:pending:deployment', 'UNKNOWN', undefined],
      ['avi:bitbucket:started:deployment', 'IN_PROGRESS', undefined],
      ['avi:bitbucket:completed:deployment', 'COMPLETED', 'FAILED'],
    ]);
    const environment = repo.environments.find((env) => env.name === 'Production');
    expect(deployments[2]).toEqual({
      eventType: 'avi:bitbucket:completed:deployment', timestamp: expect.stringMatching(ZULU), selfGenerated: false,
      repository: { uuid: repo.uuid, slug: repo.slug }, workspace: { uuid: sim.workspace.uuid }, pipeline: { uuid: result.pipelineUuid },
      deployment: { uuid: result.deploymentUuid, state: 'COMPLETED', status: 'FAILED', updatedTimestamp: expect.stringMatching(/\.\d{9}Z$/) },
      environment: { uuid: environment?.uuid, type: 'PRODUCTION', name: 'Production' },
    });
    expect(result.events.map((event) => event.eventType)).toContain('avi:bitbucket:updated:build-status');
    const path = `${repoPath(sim, repo)}/deployments/${encodeURIComponent(result.deploymentUuid)}`;
    const api = (await call(sim, path)).json;
    expect(api).toMatchObject({ state: { name: 'COMPLETED', status: { name: 'FAILED' } }, release: { pipeline: { uuid: result.pipelineUuid } } });
    // The environment is a reference (the spec's default fields: its UUID) until `fields=` asks for more.
    expect(api.environment).toEqual({ type: 'deployment_environment', uuid: environment?.uuid });
    const named = (await call(sim, `${path}?fields=%2Benvironment.name,%2Benvironment.environment_type.name`)).json;
    expect(named).toMatchObject({ uuid: result.deploymentUuid, state: { name: 'COMPLETED' }, environment: { type: 'deployment_environment', uuid: environment?.uuid, name: 'Production', environment_type: { name: 'Production' } } });
    expect(named.environment).not.toHaveProperty('lock');
    const list = (await call(sim, `${repoPath(sim, repo)}/deployments?pagelen=100&fields=%2Bvalues.environment.name`)).json;
    expect(list.values.every((d: Json) => typeof d.environment.name === 'string' && d.environment.environment_type === undefined && typeof d.uuid === 'string')).toBe(true);
    expect((await call(sim, `${repoPath(sim, repo)}/deployments?pagelen=100`)).json.values.every((d: Json) => Object.keys(d.environment).sort().join() === 'type,uuid')).toBe(true);
    const pipeline = (await call(sim, `${repoPath(sim, repo)}/pipelines/${encodeURIComponent(result.pipelineUuid)}`)).json;
    expect(pipeline).toMatchObject({ uuid: result.pipelineUuid, state: { name: 'COMPLETED', result: { name: 'FAILED' } } });
  });

  it('creates, renames and deletes a repository; the UUID stays, a deleted one is 404', async () => {
    const created = sim.actions.createRepository({ name: 'Ledger Service', description: 'money' });
    expect(created.slug).toBe('ledger-service');
    expect(created.uuid).toMatch(UUID);
    expect(created.events.map((event) => event.eventType)).toEqual(['avi:bitbucket:created:repository', 'avi:bitbucket:push:repository']);
    const renamed = sim.actions.updateRepository({ repository: created.uuid, name: 'ledger', description: 'ledger of money' });
    expect(renamed.events[0]).toMatchObject({
      eventType: 'avi:bitbucket:updated:repository', repository: { uuid: created.uuid, slug: 'ledger' },
      changes: { name: { old: { value: 'Ledger Service', truncated: false }, new: { value: 'ledger', truncated: false } }, description: { new: { value: 'ledger of money' } } },
    });
    expect((await call(sim, `/repositories/${sim.workspace.slug}/ledger`)).json.uuid).toBe(created.uuid);
    expect(sim.actions.deleteRepository({ repository: 'ledger' }).events[0]).toMatchObject({ eventType: 'avi:bitbucket:deleted:repository', repository: { uuid: created.uuid } });
    expect((await call(sim, `/repositories/${sim.workspace.slug}/${encodeURIComponent(created.uuid)}`)).status).toBe(404);
  });
});
