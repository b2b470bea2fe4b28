import type { CloudSimulator } from '../../src/sandbox/cloud-sim';
import { cloudClient } from '../../src/core/enrich/cloud/client';
import { isNextRequest, requestTarget } from '../../src/core/enrich/cloud/endpoints';
import { DEPLOYMENT_FIELDS, environmentNamer } from '../../src/core/enrich/cloud/environments';
import { DeploymentPage } from '../../src/core/enrich/cloud/schema';
import { MemoryStore } from '../../src/sandbox/memory-store';
import { firstRepository, startSim } from './cloud-sim/helpers';

// A deployment's environment, named from the deployments feed itself (`fields=`), over HTTP against the
// Cloud simulator; the environments list is read only for an answer that left the names out.

let sim: CloudSimulator;
const paths: string[] = [];
beforeAll(async () => {
  sim = await startSim();
});
afterAll(() => sim.stop());

function client() {
  return cloudClient(async (request) => {
    const url = isNextRequest(request) ? request.next : `${sim.url}${requestTarget(request)}`;
    paths.push(new URL(url).pathname);
    return fetch(url, { headers: { Authorization: `Bearer ${sim.credentials.appToken}` } });
  });
}

const noneLeftOut = (environment: unknown) => {
  throw new Error(`no environment should be left out: ${JSON.stringify(environment)}`);
};

async function deployments(fields?: string) {
  const repo = firstRepository(sim);
  expect(repo.deployments.length).toBeGreaterThan(0);
  const page = await client().get({ endpoint: 'deployments', params: { workspace: sim.workspace.slug, repo_slug: repo.slug }, query: { pagelen: 100, ...(fields ? { fields } : {}) } }, DeploymentPage);
  const production = repo.environments.find((env) => env.name === 'Production')!;
  return { repo, values: page.values, production };
}

it('takes the names from a deployments answer that carries them, with no environments request', async () => {
  const { repo, values, production } = await deployments(DEPLOYMENT_FIELDS);
  paths.length = 0;
  const name = await environmentNamer(client(), new MemoryStore(), sim.workspace.slug, repo.slug, values, noneLeftOut);
  const deployed = values.find((d) => d.environment?.uuid === production.uuid)!;
  expect(name(deployed)).toEqual({ name: 'Production', type: 'Production' });
  expect(paths).toEqual([]);
});

it('reads the environments list, and keeps it, when the answer names environments by UUID only', async () => {
  const { repo, values, production } = await deployments();
  expect(values.every((d) => d.environment && d.environment.name === undefined)).toBe(true);
  const store = new MemoryStore();
  paths.length = 0;
  const name = await environmentNamer(client(), store, sim.workspace.slug, repo.slug, values, noneLeftOut);
  expect(name(values.find((d) => d.environment?.uuid === production.uuid)!)).toEqual({ name: 'Production', type: 'Production' });
  expect(paths).toEqual([`/2.0/repositories/${sim.workspace.slug}/${repo.slug}/environments`]);
  await environmentNamer(client(), store, sim.workspace.slug, repo.slug, values, noneLeftOut);
  expect(paths).toHaveLength(1);
});

it('names the deployments of the other environments when the list holds one in an unexpected shape, and says which', async () => {
  const { repo, values, production } = await deployments();
  sim.faults.add({ method: 'GET', path: '/environments$', corruptItem: { where: { name: 'Staging' }, set: { uuid: null } } });
  const leftOut: string[] = [];
  try {
    const name = await environmentNamer(client(), new MemoryStore(), sim.workspace.slug, repo.slug, values, ({ reason }) => leftOut.push(reason));
    expect(name(values.find((d) => d.environment?.uuid === production.uuid)!)).toEqual({ name: 'Production', type: 'Production' });
  } finally {
    sim.faults.clear();
  }
  expect(leftOut).toEqual([expect.stringMatching(/environment "Staging" in an unexpected shape \(uuid.*sent without its name; report it to Atlassian/)]);
});
