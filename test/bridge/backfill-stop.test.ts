import { existsSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli';
import { dcEnv, deliveredPullRequestEvents, expectedPullRequestEvents, outboxEntries, projectRepositories, sorted, until, type DcEnv } from './helpers';

// An operator's Ctrl-C, or a Kubernetes Job evicted with SIGTERM, in the middle of `pandev-bitbucket
// backfill` over a slow Data Center instance: the command stops in order (the attempts in flight on
// record, the state file closed, what is left said) and exits 3; a second signal while it stops changes
// nothing; running it again delivers the rest, each delivery once, no pull request missed.

const total = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0);

describe('SIGTERM, then Ctrl-C, to `pandev-bitbucket backfill` in the middle of its pass', () => {
  let env: DcEnv;
  beforeAll(async () => (env = await dcEnv({ seed: 'backfill-stop', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 12, corruptPullRequest: false })));
  afterAll(() => env.stop());

  it('stops in order with exit code 3, and the next backfill resumes where it stopped', async () => {
    const expected = expectedPullRequestEvents(env.sim);
    const delivered = () => total(deliveredPullRequestEvents(env.sink));
    const cliEnv = { ...env.env, BITBUCKET_CONCURRENCY: '2', BRIDGE_LOG_LEVEL: 'warn' };
    // An attempt PanDev holds fails after 8 s: the stop is still waiting for it when the second signal comes.
    const yaml = env.yaml({ deliveryTimeoutMs: 8000 });
    // A slow instance: each repository's pull requests take seconds to read.
    env.sim.faults.add({ path: '/activities$', latencyMs: 300 });

    const first = runCli(['backfill', '--config', yaml], cliEnv);
    await until(() => delivered() >= 3, 60_000, 'the first deliveries');
    // PanDev stops answering: the attempts that begin now are in flight when the signal comes.
    env.sink.setFaults({ share: 1, kinds: ['timeout'], holdMs: 600_000 });
    const answered = env.sink.received();
    await until(() => env.sink.received() > answered, 30_000, 'an attempt PanDev holds');
    first.kill('SIGTERM');
    await first.waitFor(/SIGTERM: stopping the backfill/);
    first.kill('SIGINT');
    await first.waitFor(/SIGINT: already stopping/);
    expect(await first.exited()).toBe(3);

    const output = first.output();
    const said = /stopped by SIGTERM before the backfill was done: (\d+) of (\d+) repositories read to the end \(0 failed\), \d+ delivered, (\d+) deliver(?:y|ies) waiting in the outbox/.exec(output);
    expect(said).not.toBeNull();
    // Stopped in the middle of the pass: some repository was cut short.
    expect(Number(said![1])).toBeLessThan(Number(said![2]));
    expect(Number(said![2])).toBe(env.sim.model.repositories.length);
    expect(output).toContain('run `pandev-bitbucket backfill` again (or start `pandev-bitbucket bridge`) and it resumes where this one stopped');
    expect(output).not.toMatch(/forwarding failed|delivery step failed|repository poll failed/);
    // Closed in order: the last connection to close folds the write-ahead log into the file and removes it.
    expect(existsSync(`${env.env.BRIDGE_DB}-wal`)).toBe(false);
    const left = await outboxEntries(env.env.BRIDGE_DB!);
    expect(left).toHaveLength(Number(said![3]));
    // Every attempt PanDev held is on record as one; nothing began after the signal.
    expect(left.filter((entry) => entry.attempts === 1)).toHaveLength(env.sink.received() - answered);
    expect(delivered()).toBeLessThan(total(expected));

    env.sink.setFaults(null);
    env.sim.faults.clear();
    const again = runCli(['backfill', '--config', yaml], cliEnv);
    expect(await again.exited()).toBe(0);
    expect(again.output()).not.toContain('stopped by');
    expect(sorted(deliveredPullRequestEvents(env.sink))).toEqual(sorted(expected));
    expect(env.sink.duplicates()).toBe(0);
    const pushes = env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed').map((d) => d.body as { repository: { id: number }; changes: Array<{ refId: string }> });
    for (const repo of projectRepositories(env.sim)) expect(pushes.some((p) => p.repository.id === repo.id && p.changes[0]!.refId === `refs/heads/${repo.defaultBranch}`)).toBe(true);
    expect(await outboxEntries(env.env.BRIDGE_DB!)).toEqual([]);
  }, 120_000);

  it('stopped after PanDev paused deliveries (its 410): says they are paused and how to resume them, and exits 1, not 3', async () => {
    // Running it again, which exit code 3 tells a script to do, sends nothing until a check passes.
    const cliEnv = { ...env.env, BRIDGE_DB: path.join(env.dir, 'stopped-paused.db'), BRIDGE_LOG_LEVEL: 'warn' };
    const fault = env.sim.faults.add({ path: '/activities$', latencyMs: 300 });
    env.sink.respondNext(410, 1, 'Gone');
    try {
      const run = runCli(['backfill', '--config', env.yaml()], cliEnv);
      await run.waitFor(/PanDev refused every delivery; deliveries paused/, 60_000);
      run.kill('SIGTERM');
      const code = await run.exited();
      const output = run.output();
      expect(output).toMatch(/stopped by SIGTERM before the backfill was done/);
      expect(output).toMatch(/deliveries are paused, \d+ waiting: .*410/);
      expect(output).toContain('Set PANDEV_URL to PanDev\'s ingest URL and restart the bridge, or run `pandev-bitbucket check`: a check that passes resumes them');
      expect(code).toBe(1);
    } finally {
      env.sim.faults.remove(fault);
    }
  }, 120_000);
});

describe('`pandev-bitbucket backfill` stopped after it skipped a pull request and staged deliveries', () => {
  let env: DcEnv;
  // The simulator's corrupt pull request answers 500: the backfill skips it and reads the rest.
  beforeAll(async () => (env = await dcEnv({ seed: 'backfill-stop-counts', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 6 })));
  afterAll(() => env.stop());

  it('names itself in its log, and its summary and pass line count what it skipped and staged before the stop', async () => {
    // The branch listing answers only after two minutes: the stop comes after the pull requests were read, in the same repository.
    env.sim.faults.add({ path: '/branches$', latencyMs: 120_000 });
    const run = runCli(['backfill', '--config', env.yaml()], { ...env.env, BRIDGE_LOG_LEVEL: 'info' });
    await run.waitFor(/pull request skipped/, 60_000);
    run.kill('SIGTERM');
    expect(await run.exited()).toBe(3);

    const output = run.output();
    const logged = output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg: string; staged?: number; skipped?: number });
    expect(logged[0]!.msg).toBe('backfill started');
    expect(output).not.toContain('bridge started');
    const said = /(\d+) delivered, (\d+) deliver(?:y|ies) waiting in the outbox, (\d+) pull requests? skipped/.exec(output);
    expect(said).not.toBeNull();
    const skipped = env.sim.corrupt ? 1 : 0;
    expect(skipped).toBe(1);
    expect(Number(said![3])).toBe(skipped);
    const pass = logged.find((line) => line.msg === 'poll pass stopped');
    expect(pass).toMatchObject({ skipped });
    // A fresh state file: everything delivered or waiting is what this pass staged.
    expect(pass!.staged).toBe(Number(said![1]) + Number(said![2]));
    expect(pass!.staged).toBeGreaterThan(0);
  }, 120_000);
});
