import path from 'node:path';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { runCommand } from '../helpers/cli';
import { dcEnv, inProcessBridge, postWebhook, projectRepositories, settledPass, until, webhooksHandled, type DcEnv } from './helpers';

// A branch deletion reaches PanDev only by its webhook. Taken (202) while PanDev refuses the ingest
// token, or while the bridge stops with the webhook still waiting for its repository, it must reach
// PanDev once the bridge can send it: kept, not dropped, and not sent twice.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'webhook-pause-stop', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 4, corruptPullRequest: false })));
afterAll(() => env.stop());

const deletions = (name: string) => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].ref.displayId === name && (d.body as any).changes[0].type === 'DELETE');
const activityReads = () => env.sim.stats().byRoute['GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/activities'] ?? 0;
const repository = () => `${projectRepositories(env.sim)[0]!.projectKey}/${projectRepositories(env.sim)[0]!.slug}`;

it('keeps a deletion taken while PanDev refuses the token, and sends it once after `check` resumes', async () => {
  const db = path.join(env.dir, 'paused.db');
  env.sim.actions.createBranch({ repository: repository(), name: 'paused/gone' });
  const paused = await inProcessBridge(env.config({ BRIDGE_DB: db, PANDEV_TOKEN: 'revoked-ingest-token' }));
  try {
    await settledPass(paused);
    const deletion = env.sim.actions.deleteBranch({ repository: repository(), name: 'paused/gone' }).events[0]!;
    expect((await postWebhook(paused, deletion)).status).toBe(202);
    await webhooksHandled(paused);
  } finally {
    await paused.stop();
  }
  expect(deletions('paused/gone')).toHaveLength(0);

  expect((await runCommand(['check'], { ...env.env, BRIDGE_DB: db })).code).toBe(0);
  const resumed = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  try {
    await until(() => deletions('paused/gone').length > 0, 30_000, 'the kept deletion delivered');
    await resumed.bridge.queue.idle();
  } finally {
    await resumed.stop();
  }
  expect(deletions('paused/gone').map((d) => d.headers['x-pandev-origin'])).toEqual(['webhook']);
  expect(env.sink.duplicates()).toBe(0);
});

it('keeps a deletion still waiting for its repository when the bridge stops, and sends it once after the restart', async () => {
  const db = path.join(env.dir, 'stopped.db');
  env.sim.actions.createBranch({ repository: repository(), name: 'stopped/gone' });
  const first = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  let passing: Promise<unknown> | undefined;
  let duplicates: number | undefined;
  try {
    await settledPass(first);
    // A fresh state file over the same receiver: its backfill sent again what the test above delivered.
    duplicates = env.sink.duplicates();
    // A slow pass holds the repository's lock while the webhook comes, and while the stop begins.
    const read = activityReads();
    env.sim.faults.add({ path: '/activities$', latencyMs: 3000 });
    env.sim.actions.addComment({ repository: repository(), pullRequestId: 1, text: 'keeps the pass busy' });
    passing = first.runPass();
    await until(() => activityReads() > read, 30_000, 'the pass reading activities');
    const deletion = env.sim.actions.deleteBranch({ repository: repository(), name: 'stopped/gone' }).events[0]!;
    expect((await postWebhook(first, deletion)).status).toBe(202);
  } finally {
    await first.stop();
    await passing;
    env.sim.faults.clear();
  }
  const store = openSqliteStore(db);
  try {
    expect(store.count('dc:inbox:')).toBe(1);
  } finally {
    store.close();
  }
  expect(deletions('stopped/gone')).toHaveLength(0);

  const second = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  try {
    await webhooksHandled(second);
  } finally {
    await second.stop();
  }
  expect(deletions('stopped/gone').map((d) => d.headers['x-pandev-origin'])).toEqual(['webhook']);
  expect(env.sink.duplicates()).toBe(duplicates);
});
