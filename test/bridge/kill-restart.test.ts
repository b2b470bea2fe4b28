import type { ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dcEnv, exited, inProcessBridge, projectRepositories, deliveredPullRequestEvents, expectedPullRequestEvents, sorted, spawnBridge, until, WEBHOOK_SECRET, type DcEnv } from './helpers';

// Issue 6, items 5 and 6: the bridge as operators run it (the CLI, in its own process) is killed with
// SIGKILL in the middle of its backfill and started again: the receiver ends up with every event of
// the window exactly once (same ids, nothing missing, nothing sent under a second id), the state file
// is private to its owner, and SIGTERM stops it cleanly.

function startCli(env: DcEnv, yaml: string): ChildProcess {
  // Slow enough to be killed mid-way: the instance's default pace is 5 a second; this is 40.
  return spawnBridge({ ...env.env, BITBUCKET_REQUESTS_PER_SECOND: '40' }, ['--config', yaml]);
}


describe('kill -9 in the middle of a backfill', () => {
  let env: DcEnv;
  beforeAll(async () => (env = await dcEnv({ seed: 'kill', pullRequestsPerRepository: 10 })));
  afterAll(() => env.stop());

  it('loses nothing and sends nothing under a second id after a restart', async () => {
    const yaml = env.yaml();
    const expected = expectedPullRequestEvents(env.sim);
    const total = [...expected.values()].reduce((a, b) => a + b, 0);
    const tally = () => [...deliveredPullRequestEvents(env.sink).values()].reduce((a, b) => a + b, 0);

    const first = startCli(env, yaml);
    await until(() => tally() >= total / 3, 60_000, 'a third of the backfill');
    const killed = exited(first);
    first.kill('SIGKILL');
    expect(await killed).toEqual({ code: null, signal: 'SIGKILL' });
    const beforeRestart = tally();
    expect(beforeRestart).toBeLessThan(total);
    expect(statSync(env.env.BRIDGE_DB!).mode & 0o777).toBe(0o600);

    const second = startCli(env, yaml);
    try {
      await until(() => tally() >= total, 60_000, 'the rest of the backfill');
      // A further pass or two must add nothing.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(sorted(deliveredPullRequestEvents(env.sink))).toEqual(sorted(expected));
      // Pushes too: one delivery per ref move, and every repository's default branch is there.
      const moves = env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed').map((d) => {
        const body = d.body as any;
        return `${body.repository.id} ${body.changes[0].refId} ${body.changes[0].fromHash}..${body.changes[0].toHash}`;
      });
      expect(new Set(moves).size).toBe(moves.length);
      for (const repo of projectRepositories(env.sim)) expect(moves.some((m) => m.startsWith(`${repo.id} refs/heads/${repo.defaultBranch} `))).toBe(true);
      // Same-id re-sends (a delivery PanDev took just before the kill) are possible and deduplicated.
      expect(env.sink.duplicates()).toBeLessThanOrEqual(16);
    } finally {
      const stopped = exited(second);
      second.kill('SIGTERM');
      expect(await stopped).toEqual({ code: 0, signal: null });
    }
  }, 90_000);
});

describe('SIGTERM in the middle of a long repository poll', () => {
  let env: DcEnv;
  beforeAll(async () => (env = await dcEnv({ seed: 'term', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 12, corruptPullRequest: false })));
  afterAll(() => env.stop());

  it('stops the poll at its next request instead of reading the repository to the end', async () => {
    const activities = () => activityReads(env);
    // A slow instance: the backfill of this one repository reads for a while.
    env.sim.faults.add({ path: '/activities$', latencyMs: 300 });
    const lines: string[] = [];
    const running = await inProcessBridge(env.config(), lines);
    const pass = running.runPass();
    await until(() => activities() >= 2, 30_000, 'the backfill reading activities');
    const atStop = activities();
    await running.stop();
    const summary = await pass;
    // The request in flight is aborted and none follows; the pull requests left are read after the next start.
    expect(activities() - atStop).toBeLessThanOrEqual(1);
    expect(lines.filter((line) => /repository poll failed|pull request skipped/.test(line))).toEqual([]);
    // A stop is no failure: the pass says it was stopped, and no alert on partial passes fires.
    expect(summary.failed).toBe(0);
    expect(summary.stopped).toBeGreaterThan(0);
    expect(lines.filter((line) => line.includes('poll pass')).map((line) => JSON.parse(line).msg)).toEqual(['poll pass stopped']);
    expect((await running.bridge.metrics.pollPasses.get()).values).toEqual([expect.objectContaining({ labels: { result: 'stopped' }, value: 1 })]);
  });
});

describe('kill -9 while an answered webhook waits for its repository', () => {
  let env: DcEnv;
  beforeAll(async () => (env = await dcEnv({ seed: 'whkill', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 6, corruptPullRequest: false })));
  afterAll(() => env.stop());

  it('handles it after the restart: a branch deletion, which no poll can find, reaches PanDev', async () => {
    const activities = () => activityReads(env);
    const repo = projectRepositories(env.sim)[0]!;
    const repository = `${repo.projectKey}/${repo.slug}`;
    env.sim.actions.createBranch({ repository, name: 'to-be-deleted' });
    // The same address across the restart, as Bitbucket's webhook has it: one the system just handed out.
    const port = await freePort();
    const childEnv = { ...env.env, BRIDGE_LISTEN: `127.0.0.1:${port}` };
    const yaml = env.yaml();
    const deletions = () => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].ref.displayId === 'to-be-deleted' && (d.body as any).changes[0].type === 'DELETE');

    // A slow backfill holds the repository's lock while the webhook comes.
    env.sim.faults.add({ path: '/activities$', latencyMs: 4000 });
    const first = spawnBridge(childEnv, ['--config', yaml]);
    await until(() => activities() >= 1, 60_000, 'the backfill reading activities');
    env.sim.webhooks.register(`http://127.0.0.1:${port}/webhooks/bitbucket`, WEBHOOK_SECRET);
    env.sim.actions.deleteBranch({ repository, name: 'to-be-deleted' });
    await env.sim.webhooks.idle();
    expect(env.sim.webhooks.deliveries().map((d) => d.status)).toEqual([202]);
    const killed = exited(first);
    first.kill('SIGKILL');
    await killed;
    expect(deletions()).toHaveLength(0);

    env.sim.faults.clear();
    const second = spawnBridge(childEnv, ['--config', yaml]);
    try {
      await until(() => deletions().length === 1, 60_000, 'the saved deletion delivered');
    } finally {
      const stopped = exited(second);
      second.kill('SIGTERM');
      expect(await stopped).toEqual({ code: 0, signal: null });
    }
  }, 90_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Pull-request activity pages the simulator served: a poll's progress through a repository. */
function activityReads(env: DcEnv): number {
  return env.sim.stats().byRoute['GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/activities'] ?? 0;
}
