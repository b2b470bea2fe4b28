import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startBridge } from '../../src/bridge/runner';
import { settingsStore } from '../../src/core/config/settings';
import { dcEnv, exited, inProcessBridge, quietLogger, type DcEnv } from './helpers';
import { runCommand } from '../helpers/cli';

// One state file, one owner: two bridges (two service units, an overlapping restart, another
// BRIDGE_LISTEN) polling and delivering from one SQLite file race on its cursors and outbox. The
// second must refuse at once, saying who holds the file; a killed owner leaves nothing to clean up;
// the reading and one-off commands still run beside the owner.

const root = path.resolve(__dirname, '../..');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** A CLI command in its own process, its output collected (info logs: 'bridge started' says it holds the state). */
function spawnCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    env: { ...process.env, BRIDGE_POLL_SECONDS: '1', BRIDGE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const done = exited(child);
  let ended = false;
  void done.then(() => (ended = true));
  return {
    child,
    done,
    output: () => output,
    /** Resolves when the output matches ('bridge started' by default), or when the process ends. */
    settled: (pattern = /bridge started/) =>
      new Promise<void>((resolve) => {
        const check = () => (ended || pattern.test(output) ? resolve() : undefined);
        child.stdout!.on('data', check);
        void done.then(() => resolve());
        check();
      }),
  };
}

/** The CLI as a user runs it, to its end. */
const cli = runCommand;

describe('two bridges on one state file', () => {
  let env: DcEnv;
  beforeAll(async () => (env = await dcEnv({ seed: 'lock', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false })));
  afterAll(() => env.stop());

  it('the second bridge and a backfill refuse at once, naming BRIDGE_DB and the owner; status and dead-letters list still work', async () => {
    const yaml = env.yaml();
    const first = spawnCli(['bridge', '--config', yaml], env.env);
    await first.settled();
    expect(first.output()).toContain('bridge started');

    // Another listening address, so nothing but the state file is shared.
    const second = spawnCli(['bridge', '--config', yaml], { ...env.env, BRIDGE_LISTEN: '127.0.0.1:0' });
    await second.settled();
    expect(second.output()).not.toContain('bridge started');
    expect(await second.done).toEqual({ code: 1, signal: null });
    expect(second.output()).toContain(`BRIDGE_DB (YAML: bridge.db) ${env.env.BRIDGE_DB} is in use`);
    expect(second.output()).toContain(`pid ${first.child.pid}`);

    const backfill = await cli(['backfill', '--config', yaml, '--wait', '5'], env.env);
    expect(backfill.code).toBe(1);
    expect(backfill.out).toContain(`pid ${first.child.pid}`);

    const stateOnly = { BRIDGE_DB: env.env.BRIDGE_DB! };
    const status = await cli(['status', '--json'], stateOnly);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({ database: env.env.BRIDGE_DB, deadLetters: 0 });
    expect(await cli(['dead-letters', 'list'], stateOnly)).toMatchObject({ code: 0, out: 'no dead letters\n' });

    // The first one never noticed: it stops as usual.
    await first.settled(/poll pass finished/);
    const stopped = first.done;
    first.child.kill('SIGTERM');
    expect(await stopped).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('after the owner is killed with SIGKILL, the next bridge starts without any cleanup', async () => {
    const yaml = env.yaml();
    const first = spawnCli(['bridge', '--config', yaml], env.env);
    await first.settled();
    expect(first.output()).toContain('bridge started');
    first.child.kill('SIGKILL');
    expect(await first.done).toEqual({ code: null, signal: 'SIGKILL' });

    const next = spawnCli(['bridge', '--config', yaml], env.env);
    await next.settled(/poll pass finished/);
    expect(next.output()).toContain('bridge started');
    const stopped = next.done;
    next.child.kill('SIGTERM');
    expect(await stopped).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('holds in one process too: a second startBridge on the file is refused, and a stopped one lets go', async () => {
    const first = await inProcessBridge(env.config());
    // Stopped at once if it did start, so a failure here leaves nothing listening.
    const second = await inProcessBridge(env.config()).then(async (running) => (await running.stop(), 'started'), (error: Error) => error.message);
    expect(second).toContain(`pid ${process.pid}`);
    await first.stop();
    const again = await inProcessBridge(env.config());
    await again.stop();
  });

  it('a one-off command beside the owner leaves the owner\'s PanDev URL and retry tuning alone', async () => {
    const owner = await inProcessBridge({ ...env.config(), tuning: { ...env.config().tuning, maxAttempts: 7 } });
    try {
      // Run with a configuration of its own (no YAML tuning, another URL), as `dead-letters replay` may be.
      const beside = await startBridge({ ...env.config(), pandev: { ...env.config().pandev, url: 'http://127.0.0.1:9' }, tuning: {} }, { manual: true, serve: false, resume: false, log: quietLogger([]) });
      await beside.stop();
      const settings = settingsStore(owner.bridge.store, owner.bridge.ctx.secrets);
      expect((await settings.tuning()).maxAttempts).toBe(7);
      expect((await settings.connection())?.baseUrl).toBe(env.config().pandev.url);
    } finally {
      await owner.stop();
    }
  });
});
