import { createServer } from 'node:net';
import path from 'node:path';
import { loadConfig } from '../../src/bridge/config/load';
import { prefixes } from '../../src/core/deliver/outbox';
import { dcEnv, inProcessBridge, until, type DcEnv } from './helpers';
import { runCommand } from '../helpers/cli';

// Issue 6, item 1: `status` and `dead-letters list|replay` on a real state file. A delivery PanDev
// refuses for good becomes a dead letter with its reason; the CLI lists it, replays it, and `status`
// tells the whole story without any token.

/** The CLI as a user runs it, to its end. */
const cli = runCommand;

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'operations', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 3, corruptPullRequest: false })));
afterAll(() => env.stop());

it('lists a dead letter with its reason, replays it, and reports the state without tokens', async () => {
  env.sink.respondNext(400, 1, 'unsupported payload');
  const running = await inProcessBridge(env.config());
  await running.runPass();
  await running.bridge.queue.idle();
  await running.stop();

  const stateOnly = { BRIDGE_DB: env.env.BRIDGE_DB! };
  const listed = await cli(['dead-letters', 'list', '--json'], stateOnly);
  const letters = JSON.parse(listed.out) as Array<{ id: string; reason: string; eventKey: string }>;
  expect(letters).toHaveLength(1);
  expect(letters[0]!.reason).toBe(`PanDev rejected the delivery (400): unsupported payload: PanDev could not take this body; keep this dead letter and report it to PanDev support with its delivery id ${letters[0]!.id} and event key ${letters[0]!.eventKey}; replay it once PanDev is fixed`);

  const status = await cli(['status', '--json'], stateOnly);
  expect(status.code).toBe(1);
  const report = JSON.parse(status.out);
  expect(report).toMatchObject({ outbox: 0, deadLetters: 1, last24h: { dead: 1 } });
  expect(report.repositories.length).toBeGreaterThan(0);
  for (const repository of report.repositories) expect(repository).toMatchObject({ lastSuccessAt: expect.any(String), skipped: [] });

  const delivered = env.sink.deliveries().length;
  // Replayed beside a running bridge, whose port it leaves alone (here: a port already taken).
  const taken = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => taken.once('listening', resolve));
  const busy = `127.0.0.1:${(taken.address() as { port: number }).port}`;
  const replayed = await cli(['dead-letters', 'replay', letters[0]!.id], { ...env.env, BRIDGE_LISTEN: busy }).finally(() => taken.close());
  // The summary is all stdout says: the bridge's JSON log lines (info by default) would bury it.
  expect(replayed.stdout).toBe('1 delivered, 0 waiting for a retry, 0 failed again, 0 not found\n');
  expect(replayed.out).not.toContain('"level":"info"');
  expect(replayed.code).toBe(0);
  expect(env.sink.deliveries().length).toBe(delivered + 1);
  expect(env.sink.deliveries().at(-1)!.id).toBe(letters[0]!.id);

  // The same command run twice (a shell's history): nothing is sent, and nothing claims it was.
  const twice = await cli(['dead-letters', 'replay', letters[0]!.id], env.env);
  expect(twice.stdout).toBe('0 delivered, 0 waiting for a retry, 0 failed again, 1 not found\n');
  expect(twice.stderr).toContain('`pandev-bitbucket dead-letters list` shows the ones there are');
  expect(twice.code).toBe(1);
  expect(env.sink.deliveries().length).toBe(delivered + 1);

  const after = await cli(['status'], stateOnly);
  expect(after.out).toMatch(/dead\s+0/);
  expect(after.code).toBe(0);
  expect((await cli(['status'], { BRIDGE_DB: path.join(env.dir, 'missing.db') })).out).toContain('no bridge state at');
});

it('names a --config file it cannot read, with what to give, for the commands that only read the state', async () => {
  const missing = path.join(env.dir, 'no-such-bridge.yaml');
  for (const command of [['status'], ['dead-letters', 'list'], ['check']]) {
    const result = await cli([...command, '--config', missing], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--config ${missing}: cannot be read (ENOENT); give the path of the bridge's YAML file`);
    expect(result.out).not.toContain('no such file or directory');
  }
});

it('names BRIDGE_DB set to a folder (the state file\'s folder) for the commands that only read the state', async () => {
  for (const command of [['status'], ['dead-letters', 'list']]) {
    const result = await cli(command, { BRIDGE_DB: env.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${env.dir} is a folder, not the bridge's state file`);
    expect(result.out).not.toContain('unable to open database file');
  }
});

it('backfill: stdout is its summary alone, its progress log goes to stderr', async () => {
  // An operator pipes the summary (`backfill | mail`, a cron report); JSON log lines would bury it.
  const backfill = await cli(['backfill', '--config', env.yaml(), '--wait', '30'], { ...env.env, BRIDGE_DB: path.join(env.dir, 'backfill-cli.db') });
  expect(backfill.code).toBe(0);
  expect(backfill.stdout).toMatch(/^\d+ repositories polled \(0 failed\), \d+ deliveries found, \d+ delivered, 0 pull requests skipped\n$/);
  // Progress is still there for whoever watches the run, on stderr, as JSON lines.
  expect(backfill.stderr).toContain('"msg":"poll pass finished"');
});

it('backfill: deliveries PanDev paused (its 410) are said to be paused, with how to resume them, and exit 1', async () => {
  // "The bridge (or the next backfill) sends them" is not so: nothing is sent again until a check passes.
  env.sink.respondNext(410, 1, 'Gone');
  const backfill = await cli(['backfill', '--config', env.yaml(), '--wait', '30'], { ...env.env, BRIDGE_DB: path.join(env.dir, 'backfill-paused.db') });
  expect(backfill.stdout).toMatch(/paused/);
  expect(backfill.stdout).toMatch(/410/);
  expect(backfill.stdout).toContain('pandev-bitbucket check');
  expect(backfill.stdout).not.toMatch(/the next backfill\) sends them/);
  expect(backfill.code).toBe(1);
});

it('documents every command with --help: the environment names, and no token flag', async () => {
  const commands = [['bridge'], ['check'], ['backfill'], ['status'], ['dead-letters', 'list'], ['dead-letters', 'replay']];
  const helps = await Promise.all(commands.map((command) => cli([...command, '--help'], {})));
  for (const [i, help] of helps.entries()) {
    expect({ command: commands[i], code: help.code }).toEqual({ command: commands[i], code: 0 });
    for (const name of ['BITBUCKET_EDITION', 'BITBUCKET_URL', 'BITBUCKET_TOKEN[_FILE]', 'BITBUCKET_USERNAME', 'BITBUCKET_PROJECTS', 'BITBUCKET_REPOS', 'PANDEV_URL', 'PANDEV_TOKEN[_FILE]', 'PANDEV_SIGNING_SECRET[_FILE]', 'BRIDGE_DB', 'BRIDGE_POLL_SECONDS', 'BRIDGE_BACKFILL_DAYS', 'BRIDGE_LISTEN', 'BRIDGE_WEBHOOK_LISTEN', 'BRIDGE_SHARD']) {
      expect(help.out).toContain(name);
    }
    expect(help.out).not.toMatch(/--(token|secret|password)/);
  }
});

describe('dead-letters replay beside a running bridge', () => {
  let own: DcEnv;
  beforeAll(async () => (own = await dcEnv({ seed: 'replay-one', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false })));
  afterAll(() => own.stop());

  it('sends the named dead letter only, and leaves what the bridge waits to retry to the bridge', async () => {
    // The first delivery is refused for good; PanDev then fails the rest, which wait for their retries
    // (at the real pace: the next attempt is half a minute away).
    own.sink.respondNext(400, 1, 'unsupported payload');
    own.sink.setFaults({ share: 1, kinds: ['500'] });
    const running = await inProcessBridge(loadConfig({ env: own.env }));
    await running.runPass();
    await until(() => running.bridge.store.count(prefixes.dead) === 1, 30_000, 'the dead letter');
    const waiting = running.bridge.store.count(prefixes.outbox);
    await running.stop();
    expect(waiting).toBeGreaterThan(0);
    own.sink.setFaults(null);

    const [letter] = JSON.parse((await cli(['dead-letters', 'list', '--json'], { BRIDGE_DB: own.env.BRIDGE_DB! })).out) as Array<{ id: string }>;
    const replayed = await cli(['dead-letters', 'replay', letter!.id], { ...own.env, BRIDGE_LOG_LEVEL: 'warn' });
    expect(replayed.out).toContain('1 delivered, 0 waiting for a retry, 0 failed again, 0 not found');
    expect(own.sink.deliveries().map((d) => d.id)).toEqual([letter!.id]);
    const status = JSON.parse((await cli(['status', '--json'], { BRIDGE_DB: own.env.BRIDGE_DB! })).out);
    expect(status).toMatchObject({ outbox: waiting, deadLetters: 0 });
  }, 60_000);
});

it('exits 2 for a flag or argument it refuses, as for a configuration problem, and 0 for help', async () => {
  // Before any configuration is read: the invocation itself is what to fix.
  const days = await cli(['backfill', '--days', '0'], {});
  expect(days.stderr).toContain("option '--days <n>' argument '0' is invalid. expected a positive whole number");
  expect(days.code).toBe(2);
  expect((await cli(['status', '--no-such-flag'], {})).code).toBe(2);
  expect((await cli(['no-such-command'], {})).code).toBe(2);
  const replay = await cli(['dead-letters', 'replay'], {});
  expect(replay.stderr).toContain('name the delivery ids to replay, or pass --all');
  expect(replay.code).toBe(2);
  expect((await cli(['backfill', '--help'], {})).code).toBe(0);
}, 60_000);
