import { dcEnv, inProcessBridge, postWebhook, projectRepositories, until, type DcEnv } from './helpers';

// Found by fuzz-webhooks.test.ts: a push webhook Data Center would never send, but that passed the
// schema, was retried for a day on Bitbucket's 4xx and held up every later webhook of its repository.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'webhook-malformed', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false })));
afterAll(() => env.stop());

function push(repository: Record<string, unknown>, toHash: string) {
  const ref = { id: 'refs/heads/main', displayId: 'main', type: 'BRANCH' };
  const actor = { name: 'admin', emailAddress: 'admin@example.com', id: 1, displayName: 'Admin', active: true, slug: 'admin', type: 'NORMAL' };
  return { eventKey: 'repo:refs_changed', body: { eventKey: 'repo:refs_changed', date: new Date().toISOString(), actor, repository, changes: [{ ref, refId: ref.id, fromHash: 'a'.repeat(40), toHash, type: 'UPDATE' }] } };
}

async function repositoryBody() {
  const repo = projectRepositories(env.sim)[0]!;
  const response = await fetch(`${env.sim.url}/rest/api/1.0/projects/${repo.projectKey}/repos/${repo.slug}`, { headers: { Authorization: `Bearer ${env.sim.credentials.admin.token}` } });
  return (await response.json()) as Record<string, unknown>;
}

it('refuses a push whose hash is not a commit hash with 400, naming the field', async () => {
  const lines: string[] = [];
  const running = await inProcessBridge(env.config(), lines);
  try {
    const response = await postWebhook(running, push(await repositoryBody(), 'x'.repeat(5000)));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/changes\.0\.toHash: not a commit hash/);
  } finally {
    await running.stop();
  }
});

it('drops, with a logged reason, a saved webhook Bitbucket refuses as a bad request, instead of retrying it for a day', async () => {
  const lines: string[] = [];
  const running = await inProcessBridge(env.config(), lines);
  try {
    const repository = await repositoryBody();
    // A project key too long for any URL: Bitbucket (here the simulator's HTTP server) answers 431.
    const project = { ...(repository.project as object), key: 'P'.repeat(20_000) };
    const response = await postWebhook(running, push({ ...repository, project }, 'b'.repeat(40)));
    expect(response.status).toBe(202);
    await until(() => running.bridge.store.count('dc:inbox:') === 0 || lines.some((l) => /tried again/.test(l)), 10_000, 'the webhook to be handled');
    expect(running.bridge.store.count('dc:inbox:')).toBe(0);
    const dropped = lines.find((l) => /a saved webhook could not be handled and is dropped/.test(l));
    expect(JSON.parse(dropped!).reason).toMatch(/^Bitbucket answered 4\d\d to GET/);
  } finally {
    await running.stop();
  }
});

it('keeps, for the next pass, a saved webhook a proxy before Bitbucket refuses (407): the webhook is not at fault', async () => {
  const lines: string[] = [];
  const running = await inProcessBridge(env.config(), lines);
  const fault = env.sim.faults.add({ path: '/commits', status: 407, body: 'Proxy Authentication Required' });
  try {
    const repository = await repositoryBody();
    const response = await postWebhook(running, push(repository, 'c'.repeat(40)));
    expect(response.status).toBe(202);
    await until(() => lines.some((l) => /tried again after the next pass|is dropped/.test(l)), 10_000, 'the webhook to be handled');
    expect(lines.filter((l) => /is dropped/.test(l))).toEqual([]);
    expect(running.bridge.store.count('dc:inbox:')).toBe(1);
  } finally {
    env.sim.faults.remove(fault);
    await running.stop();
  }
});
