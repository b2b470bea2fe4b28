import path from 'node:path';
import { readStatus, StatusReport } from '../../src/bridge/cli/status';
import { loadConfig } from '../../src/bridge/config/load';
import { cloudFailureReason, datacenterFailureReason } from '../../src/bridge/poll/failure-reason';
import { BitbucketError } from '../../src/core/errors';
import { startCloudSimulator, type CloudSimulator } from '../../src/sandbox/cloud-sim';
import type { PanDevSink } from '../../src/sandbox/pandev-sink';
import { cloudConfig, cloudEnv, cloudVars, FAST_TUNING, inProcessBridge, scopeLacking } from './helpers';
import { runCommand } from '../helpers/cli';

// `status` over a Cloud bridge's state: a failing repository says what to do in Cloud's own terms
// (API token scopes, `BITBUCKET_REPOS=!PROJECT/slug` with the project key the selection matches), and
// one the operator then leaves out, or that was deleted, stops making `status` exit 1.

/** The CLI as a user runs it, to its end. */
const cli = runCommand;

let sim: CloudSimulator;
let sink: PanDevSink;
let dir: string;
let stop: () => Promise<void>;
beforeAll(async () => ({ sim, sink, dir, stop } = await cloudEnv('bridge-cloud-status', 3)));
afterAll(() => stop());

const env = (db: string, extra: Record<string, string> = {}) => cloudVars({ sim, sink }, path.join(dir, db), extra);
const pass = async (vars: Record<string, string>) => {
  const running = await inProcessBridge({ ...loadConfig({ env: vars }), tuning: FAST_TUNING });
  try {
    const summary = await running.runPass();
    await running.bridge.queue.idle();
    return { summary, status: await readStatus(running.bridge.store) };
  } finally {
    await running.stop();
  }
};
const repository = (i: number) => [...sim.model.repositories.values()][i]!;
/** A fault on one repository's requests (the bridge names it by UUID, `{…}` percent-encoded). */
const under = (repo: { uuid: string }, rest: string) => `${repo.uuid.replace(/[{}]/g, '')}(%7D|\\})${rest}`;
const failing = (report: StatusReport) => report.attention.filter((item) => item.kind === 'repository-failing');

it('a failing repository left out with BITBUCKET_REPOS, as its reason says, no longer needs attention', async () => {
  const broken = repository(0);
  const name = `${sim.workspace.slug}/${broken.slug}`;
  const fault = sim.faults.add({ path: under(broken, '/pullrequests$'), status: 500 });
  try {
    const first = await pass(env('left-out.db'));
    expect(first.summary.failed).toBe(1);
    const before = await cli(['status', '--json'], { BRIDGE_DB: env('left-out.db').BRIDGE_DB });
    expect(before.code).toBe(1);
    expect(failing(StatusReport.parse(JSON.parse(before.stdout)))).toEqual([expect.objectContaining({ repository: name })]);
    // The selection matches Cloud repositories as PROJECT/slug, the project key.
    const second = await pass(env('left-out.db', { BITBUCKET_REPOS: `!${broken.projectKey}/${broken.slug}` }));
    expect(second.summary).toMatchObject({ repositories: 2, failed: 0 });
  } finally {
    sim.faults.remove(fault);
  }
  const after = await cli(['status', '--json'], { BRIDGE_DB: env('left-out.db').BRIDGE_DB });
  const report = StatusReport.parse(JSON.parse(after.stdout));
  expect(report.attention).toEqual([]);
  expect(after.code).toBe(0);
  expect(report.repositories.find((repo) => repo.name === name)).toMatchObject({ notPolled: true });

  // Selected again, it is polled again, and no longer marked.
  const third = await pass(env('left-out.db'));
  expect(third.summary).toMatchObject({ repositories: 3, failed: 0 });
  expect(third.status.repositories.find((repo) => repo.name === name)).not.toHaveProperty('notPolled');
}, 120_000);

it('a failing repository\'s reason says what to do in Cloud\'s terms: which scope, which token, what a 404 means', async () => {
  const [noPulls, noPipelines, gone] = [repository(0), repository(1), repository(2)];
  // What Cloud answers a token without a scope the request needs.
  const lacking = (scope: string) => scopeLacking(scope, ['read:repository:bitbucket']);
  const faults = [
    sim.faults.add({ path: under(noPulls, '/pullrequests'), status: 403, body: lacking('read:pullrequest:bitbucket') }),
    sim.faults.add({ path: under(noPipelines, '/deployments'), status: 403, body: lacking('read:pipeline:bitbucket') }),
    sim.faults.add({ path: under(gone, '/pullrequests'), status: 404, body: JSON.stringify({ type: 'error', error: { message: 'Repository not found' } }) }),
  ];
  let first: Awaited<ReturnType<typeof pass>>;
  try {
    first = await pass(env('reasons.db'));
  } finally {
    faults.forEach((fault) => sim.faults.remove(fault));
  }
  // The two refused a feed read the rest: not failed, partial. The deleted one failed.
  expect(first.summary).toMatchObject({ failed: 1, partial: 2 });
  const reason = (repo: { slug: string }) => failing(first.status).find((item) => item.repository === `${sim.workspace.slug}/${repo.slug}`)?.message ?? '';
  expect(reason(noPulls)).toMatch(/403/);
  expect(reason(noPulls)).toContain('lacks the scope read:pullrequest:bitbucket');
  expect(reason(noPulls)).toContain(`BITBUCKET_REPOS=!${noPulls.projectKey}/${noPulls.slug}`);
  expect(reason(noPipelines)).toContain('lacks the scope read:pipeline:bitbucket');
  expect(reason(gone)).toMatch(/404.*deleted/);

  // A token refused on a repository's read (revoked between the workspace query and it): the pass stops,
  // and `status` says once, not as that repository's failure, what to create, where to put it, and the
  // command that proves it works.
  const revoked = sim.faults.add({ path: under(noPulls, '/pullrequests'), status: 401, body: 'Login failed due to incorrect login credentials or method.' });
  let second: Awaited<ReturnType<typeof pass>>;
  try {
    second = await pass(env('reasons-401.db'));
  } finally {
    sim.faults.remove(revoked);
  }
  expect(second.summary.failed).toBe(0);
  expect(second.summary.refused).toBeGreaterThan(0);
  expect(failing(second.status)).toEqual([]);
  expect(second.status.attention.map((item) => item.kind)).toEqual(['token-refused']);
  const unauthorized = second.status.attention[0]?.message ?? '';
  expect(unauthorized).toMatch(/401/);
  expect(unauthorized).toMatch(/API token/);
  expect(unauthorized).toContain('BITBUCKET_USERNAME');
  expect(unauthorized).toContain('BITBUCKET_TOKEN_FILE');
  expect(unauthorized).toContain('pandev-bitbucket check');
  expect(unauthorized).not.toMatch(/personal access token/);

  // Bitbucket down: nothing for the operator to change, and it says so.
  const down = sim.faults.add({ path: under(noPulls, '/pullrequests'), status: 503 });
  let third: Awaited<ReturnType<typeof pass>>;
  try {
    third = await pass(env('reasons-503.db'));
  } finally {
    sim.faults.remove(down);
  }
  expect(failing(third.status)[0]?.message).toMatch(/503.*tried again next pass/);

  // Still refused after the bridge's own waits (minutes of them, so not over the wire here): what to tune.
  const limited = new BitbucketError('rate-limited', 429, 'GET pullRequests {}', 'Bitbucket answered 429 to GET pullRequests {}: Rate limit for this resource has been exceeded');
  // Cloud's limit is an hour's allowance: a per-second cap changes nothing, the hourly budget does.
  const cloudReason = cloudFailureReason(limited, { name: 'ws/repo', selector: 'P/repo', username: true });
  expect(cloudReason).toMatch(/429.*BITBUCKET_REQUESTS_PER_HOUR/);
  expect(cloudReason).not.toMatch(/REQUESTS_PER_SECOND/);
  expect(datacenterFailureReason(limited, { name: 'P/repo', selector: 'P/repo' })).toMatch(/429.*BITBUCKET_REQUESTS_PER_SECOND.*BRIDGE_POLL_SECONDS/);
}, 120_000);

it('a repository deleted in Bitbucket fails one pass with why, and is no longer polled from the next', async () => {
  const own = await startCloudSimulator({ seed: 'bridge-cloud-deleted', repositories: 2, rateLimitPerHour: 0 });
  const running = await inProcessBridge(cloudConfig({ sim: own, sink }, path.join(dir, 'deleted.db')));
  try {
    expect(await running.runPass()).toMatchObject({ repositories: 2, failed: 0 });
    const deleted = [...own.model.repositories.values()][0]!;
    own.actions.deleteRepository({ repository: deleted.slug });
    expect(await running.runPass()).toMatchObject({ repositories: 2, failed: 1 });
    const name = `${own.workspace.slug}/${deleted.slug}`;
    expect(failing(await readStatus(running.bridge.store))).toEqual([expect.objectContaining({ repository: name, message: expect.stringMatching(/404.*deleted/) })]);
    expect(await running.runPass()).toMatchObject({ repositories: 1, failed: 0 });
    const status = await readStatus(running.bridge.store);
    expect(status.attention).toEqual([]);
    expect(status.repositories.find((repo) => repo.name === name)).toMatchObject({ notPolled: true });
  } finally {
    await running.stop();
    await own.stop();
  }
}, 120_000);

it('a bridge whose passes cannot list the workspace\'s repositories needs attention, until one can', async () => {
  const revoked = sim.faults.add({ path: `/2\\.0/workspaces/${sim.workspace.slug}$`, status: 403, body: JSON.stringify({ type: 'error', error: { message: 'Your credentials lack one or more required privilege scopes.' } }) });
  try {
    expect((await pass(env('unlisted.db'))).summary).toMatchObject({ repositories: 0, failed: 1 });
  } finally {
    sim.faults.remove(revoked);
  }
  const failed = await cli(['status', '--json'], { BRIDGE_DB: env('unlisted.db').BRIDGE_DB });
  expect(failed.code).toBe(1);
  expect(StatusReport.parse(JSON.parse(failed.stdout)).attention).toEqual([
    expect.objectContaining({ kind: 'listing-failing', repository: null, message: expect.stringMatching(/403[\s\S]*pandev-bitbucket check/) }),
  ]);

  expect((await pass(env('unlisted.db'))).summary).toMatchObject({ repositories: 3, failed: 0 });
  const after = await cli(['status', '--json'], { BRIDGE_DB: env('unlisted.db').BRIDGE_DB });
  expect(StatusReport.parse(JSON.parse(after.stdout)).attention).toEqual([]);
  expect(after.code).toBe(0);
}, 60_000);

describe('check, on a Cloud workspace', () => {
  const check = async (extra: Record<string, string> = {}) => {
    const { code, stdout } = await cli(['check'], env('check.db', extra));
    return { code, out: stdout };
  };
  const lacking = (scope: string) => scopeLacking(scope);

  it('passes with a token that reads what the bridge reads', async () => {
    const good = await check();
    expect(good.out).toMatch(/pull requests and deployments are readable/);
    expect(good.code).toBe(0);
  }, 60_000);

  it('fails on a token that lists repositories but lacks the pull-request or the pipeline scope, naming it', async () => {
    for (const [feed, scope] of [['/pullrequests', 'read:pullrequest:bitbucket'], ['/deployments', 'read:pipeline:bitbucket']] as const) {
      const fault = sim.faults.add({ path: `${feed}$`, status: 403, body: lacking(scope) });
      try {
        const result = await check();
        expect(result.code).toBe(1);
        expect(result.out).toContain(`lacks the scope ${scope}`);
      } finally {
        sim.faults.remove(fault);
      }
    }
  }, 120_000);

  it('fails on a token that reads repositories but not the workspace, which every pass asks for first', async () => {
    const fault = sim.faults.add({ path: `/2\\.0/workspaces/${sim.workspace.slug}$`, status: 403, body: lacking('read:workspace:bitbucket') });
    try {
      // What the bridge then does: every pass ends before a repository is polled.
      expect((await pass(env('no-workspace.db'))).summary).toMatchObject({ repositories: 0, failed: 1 });
      const result = await check();
      expect(result.code).toBe(1);
      expect(result.out).toContain('lacks the scope read:workspace:bitbucket');
    } finally {
      sim.faults.remove(fault);
    }
  }, 60_000);

  it('fails when the selection names a repository the token cannot see, or leaves nothing to poll', async () => {
    const typo = await check({ BITBUCKET_REPOS: 'PLAT/no-such-repository' });
    expect(typo.code).toBe(1);
    expect(typo.out).toContain('PLAT/no-such-repository');
    const none = await check({ BITBUCKET_PROJECTS: 'NOPE*' });
    expect(none.code).toBe(1);
    expect(none.out).toMatch(/no repository is selected/);
  }, 120_000);
});
