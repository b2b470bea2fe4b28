import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { dcEnv, exited, inProcessBridge, type DcEnv } from './helpers';

// Mistakes an operator makes when starting the bridge: each must end the process with a message that
// names what to change, and leave nothing running (a service manager must see the failure).

const root = path.resolve(__dirname, '../..');

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function runBridgeCli(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'bridge'], {
    cwd: root,
    env: { ...process.env, BRIDGE_LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

function listen(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

describe('pandev-bitbucket bridge when BRIDGE_LISTEN is taken', () => {
  let env: DcEnv;
  let taken: Server;
  beforeAll(async () => {
    env = await dcEnv({ seed: 'listen', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false });
    taken = await listen();
  });
  afterAll(async () => {
    await new Promise((resolve) => taken.close(resolve));
    await env.stop();
  });

  it('exits 1 naming BRIDGE_LISTEN, even with deliveries waiting in the outbox', async () => {
    // Deliveries left in the outbox by a run whose PanDev was down: the next start resumes them.
    const down = await listen();
    const downUrl = `http://127.0.0.1:${(down.address() as { port: number }).port}`;
    await new Promise((resolve) => down.close(resolve));
    const first = await inProcessBridge(env.config({ PANDEV_URL: downUrl }));
    await first.runPass();
    expect(first.bridge.store.count('outbox:')).toBeGreaterThan(0);
    await first.stop();

    const port = (taken.address() as { port: number }).port;
    const cli = runBridgeCli({ ...env.env, PANDEV_URL: downUrl, BRIDGE_LISTEN: `127.0.0.1:${port}` });
    const outcome = await exited(cli.child);
    expect(outcome).toEqual({ code: 1, signal: null });
    expect(cli.output()).toContain(`BRIDGE_LISTEN (YAML: bridge.listen) 127.0.0.1:${port} is in use`);
  }, 60_000);
});

/** Sends SIGTERM once `after` is in its output (or it ended), and expects a clean exit that says so. */
async function stopsCleanlyOnSigterm(cli: ReturnType<typeof runBridgeCli>, after: RegExp): Promise<void> {
  await new Promise<void>((resolve) => {
    const check = () => (after.test(cli.output()) ? resolve() : undefined);
    cli.child.stdout!.on('data', check);
    void exited(cli.child).then(() => resolve());
  });
  const outcome = exited(cli.child);
  cli.child.kill('SIGTERM');
  expect(await outcome).toEqual({ code: 0, signal: null });
  expect(cli.output()).toContain('bridge stopped');
}

describe('pandev-bitbucket bridge stopped as soon as it has started', () => {
  let env: DcEnv;
  beforeAll(async () => (env = await dcEnv({ seed: 'early-stop', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false })));
  afterAll(() => env.stop());

  it('stops cleanly on a SIGTERM that comes with its first log line (a restart right after a start)', async () => {
    const cli = runBridgeCli({ ...env.env, BRIDGE_LOG_LEVEL: 'info' });
    await stopsCleanlyOnSigterm(cli, /bridge started/);
  }, 60_000);

  it('exits on a SIGTERM between passes, not when the next pass would have been due', async () => {
    // An hour between passes: a process kept alive by the wait would outlast any stop timeout (systemd's
    // 30 s, docker stop's 10 s) and be killed.
    const cli = runBridgeCli({ ...env.env, BRIDGE_LOG_LEVEL: 'info', BRIDGE_POLL_SECONDS: '3600' });
    await stopsCleanlyOnSigterm(cli, /poll pass finished/);
  }, 30_000);
});
