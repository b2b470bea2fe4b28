import path from 'node:path';
import { StatusReport } from '../../src/bridge/cli/status';
import { watchTips } from '../../src/bridge/poll/builds';
import { pollState } from '../../src/bridge/poll/state';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { webhookInbox } from '../../src/bridge/webhooks/inbox';
import type { ForwardContext } from '../../src/core/pipeline/context';
import { dcEnv, inProcessBridge, projectRepositories, quietLogger, type DcEnv } from './helpers';
import { runCommand } from '../helpers/cli';

// `status` is what an operator reads when PanDev misses data: it must name repositories as they know
// them (PROJECT/slug, not Data Center's numeric id), put what needs them first (failing repositories
// with what to do, dead letters, webhooks given up, build watches that ended early, deliveries PanDev
// paused), and give a script a stable JSON form and a non-zero exit code when anything needs attention.

/** The CLI as a user runs it, to its end. */
const cli = runCommand;

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'status-attention', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 2, corruptPullRequest: false })));
afterAll(() => env.stop());

it('names repositories PROJECT/slug and lists what needs the operator first, with a non-zero exit', async () => {
  const db = path.join(env.dir, 'attention.db');
  const [locked, busy] = projectRepositories(env.sim);
  const lockedName = `${locked!.projectKey}/${locked!.slug}`;
  const busyName = `${busy!.projectKey}/${busy!.slug}`;
  env.sink.respondNext(400, 1, 'unsupported payload');
  const running = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  try {
    await running.runPass();
    await running.bridge.queue.idle();
    const fault = env.sim.faults.add({ path: `^/rest/api/1\\.0/projects/${locked!.projectKey}/repos/${locked!.slug}/`, status: 403 });
    try {
      await running.runPass();
    } finally {
      env.sim.faults.remove(fault);
    }
    await running.bridge.queue.idle();
  } finally {
    await running.stop();
  }

  // What only the log said so far: a webhook given up after a day, a burst that ended build watches early.
  const store = openSqliteStore(db);
  try {
    let now = Date.now();
    const clock = { now: () => now };
    const log = quietLogger();
    const inbox = webhookInbox({ store, lock: (_key, fn) => fn(), clock, log, max: 10, stopping: () => false, handle: () => Promise.reject(new Error('Bitbucket answered 500')) });
    await inbox.accept(String(busy!.id), '{}');
    await inbox.drain(String(busy!.id));
    now += 25 * 3600_000;
    await inbox.drain(String(busy!.id));
    now = Date.now();
    const tip = (i: number) => i.toString(16).padStart(40, '0');
    const deps = { state: pollState(store), ctx: { clock, log } as Pick<ForwardContext, 'clock' | 'log'> as ForwardContext };
    await watchTips({ id: String(busy!.id), name: busyName }, Array.from({ length: 1001 }, (_, i) => tip(i)), 'poll', deps);
  } finally {
    store.close();
  }

  const text = await cli(['status'], { BRIDGE_DB: db });
  expect(text.code).toBe(1);
  const lines = text.stdout.split('\n');
  const attention = lines.findIndex((line) => /needs attention/i.test(line));
  const repositories = lines.findIndex((line) => line.startsWith('repositories'));
  expect(attention).toBeGreaterThanOrEqual(0);
  expect(attention).toBeLessThan(repositories);
  const first = lines.slice(attention, repositories).join('\n');
  expect(first).toContain(lockedName);
  expect(first).toMatch(/403/);
  expect(first).toMatch(/Repository read/);
  expect(first).toMatch(/1 dead letter/);
  expect(first).toContain('pandev-bitbucket dead-letters list');
  expect(first).toMatch(new RegExp(`webhook.*${busyName}|${busyName}.*webhook`));
  expect(first).toMatch(new RegExp(`build.*${busyName}|${busyName}.*build`));
  // The repository list names them too, keeping the id (what the state and the metrics key on).
  const listed = lines.slice(repositories).join('\n');
  expect(listed).toContain(`${lockedName} (${locked!.id})`);
  expect(listed).toContain(`${busyName} (${busy!.id})`);

  const json = await cli(['status', '--json'], { BRIDGE_DB: db });
  expect(json.code).toBe(1);
  const report = StatusReport.parse(JSON.parse(json.stdout));
  expect(report.attention.map((item) => item.kind).sort()).toEqual(['build-watches-ended', 'dead-letters', 'repository-failing', 'webhook-given-up']);
  expect(report.attention.find((item) => item.kind === 'repository-failing')).toMatchObject({ repository: lockedName, repositoryId: String(locked!.id) });
  expect(report.repositories.map((repo) => repo.name)).toEqual(expect.arrayContaining([busyName, lockedName]));
});

it('a state where no pass has finished yet: nothing to attend to, exit 0, and the same JSON shape', async () => {
  const db = path.join(env.dir, 'fresh.db');
  openSqliteStore(db).close();
  const text = await cli(['status'], { BRIDGE_DB: db });
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/no poll pass has finished yet/);
  const json = await cli(['status', '--json'], { BRIDGE_DB: db });
  expect(json.code).toBe(0);
  expect(StatusReport.parse(JSON.parse(json.stdout))).toMatchObject({ outbox: 0, deadLetters: 0, attention: [], repositories: [] });
});

it('a failing repository the operator leaves out, as its fix-it text says, no longer needs attention', async () => {
  const db = path.join(env.dir, 'left-out.db');
  const [locked] = projectRepositories(env.sim);
  const lockedName = `${locked!.projectKey}/${locked!.slug}`;
  const fault = env.sim.faults.add({ path: `^/rest/api/1\\.0/projects/${locked!.projectKey}/repos/${locked!.slug}/`, status: 403 });
  try {
    const first = await inProcessBridge(env.config({ BRIDGE_DB: db }));
    await first.runPass().finally(() => first.stop());
    expect((await cli(['status'], { BRIDGE_DB: db })).code).toBe(1);
    // BITBUCKET_REPOS=!PROJECT/slug and a restart, as the 403's reason suggests.
    const second = await inProcessBridge(env.config({ BRIDGE_DB: db, BITBUCKET_REPOS: `!${lockedName}` }));
    await second.runPass().finally(() => second.stop());
  } finally {
    env.sim.faults.remove(fault);
  }
  const json = await cli(['status', '--json'], { BRIDGE_DB: db });
  const report = StatusReport.parse(JSON.parse(json.stdout));
  expect(report.attention).toEqual([]);
  expect(json.code).toBe(0);
  expect(report.repositories.find((repo) => repo.name === lockedName)).toMatchObject({ notPolled: true });
  expect((await cli(['status'], { BRIDGE_DB: db })).stdout).toMatch(new RegExp(`${lockedName} \\(${locked!.id}\\).*no longer polled`));
});

it('a repository whose project the token\'s user can no longer read is no longer polled, and status names the lost access as a cause and what to give', async () => {
  const db = path.join(env.dir, 'lost-access.db');
  const [locked] = projectRepositories(env.sim);
  const lockedName = `${locked!.projectKey}/${locked!.slug}`;
  const first = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  await first.runPass().finally(() => first.stop());
  // Data Center leaves a repository its user may not read out of the listing, as it does a deleted one.
  env.sim.setProjectAccess('admin', locked!.projectKey, false);
  try {
    const second = await inProcessBridge(env.config({ BRIDGE_DB: db }));
    await second.runPass().finally(() => second.stop());
  } finally {
    env.sim.setProjectAccess('admin', locked!.projectKey, true);
  }
  const report = StatusReport.parse(JSON.parse((await cli(['status', '--json'], { BRIDGE_DB: db })).stdout));
  expect(report.repositories.find((repo) => repo.name === lockedName)).toMatchObject({ notPolled: true });
  const line = (await cli(['status'], { BRIDGE_DB: db })).stdout.split('\n').find((text) => text.includes(`${lockedName} (${locked!.id})`));
  expect(line).toMatch(/no longer polled: the last listing of the repositories left it out .*the token's user can no longer read it.*give that user Repository read on it/);
});

it('deliveries paused by a 410 from PanDev need attention, with the command that resumes them, until `check` lifts the pause', async () => {
  const db = path.join(env.dir, 'paused.db');
  // One 410 pauses every delivery after it; the check's test delivery then finds PanDev answering again.
  env.sink.respondNext(410, 1, 'Gone');
  const running = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  try {
    await running.runPass();
    await running.bridge.queue.idle();
    // What a Prometheus alert reads.
    expect(await running.bridge.metrics.registry.metrics()).toMatch(/^pandev_bridge_deliveries_paused 1$/m);
  } finally {
    await running.stop();
  }

  const text = await cli(['status'], { BRIDGE_DB: db });
  expect(text.code).toBe(1);
  const lines = text.stdout.split('\n');
  const first = lines.slice(lines.findIndex((line) => /needs attention/i.test(line)), lines.findIndex((line) => line.startsWith('outbox'))).join('\n');
  expect(first).toMatch(/paused/);
  expect(first).toMatch(/410/);
  expect(first).toContain('pandev-bitbucket check');
  const report = StatusReport.parse(JSON.parse((await cli(['status', '--json'], { BRIDGE_DB: db })).stdout));
  expect(report.attention.map((item) => item.kind)).toEqual(['deliveries-paused']);
  expect(report.outbox).toBeGreaterThan(0);

  // What the message says to do, done: the next status is clear.
  const check = await cli(['check'], { ...env.env, BRIDGE_DB: db });
  expect(check.stdout).toMatch(/resumed/);
  const after = await cli(['status', '--json'], { BRIDGE_DB: db });
  expect(StatusReport.parse(JSON.parse(after.stdout)).attention).toEqual([]);
  expect(after.code).toBe(0);
});
