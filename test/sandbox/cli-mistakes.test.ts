import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli';

// The sandbox's commands as a newcomer mistypes them: each mistake ends the command with a non-zero
// exit code (2 for a flag refused as given, as for the bridge's configuration) and a message that says what is wrong and what to do, never a bare Node error.

let taken: Server;
let port: number;
beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  port = (taken.address() as { port: number }).port;
});
afterAll(() => new Promise((resolve) => taken.close(resolve)));

describe.each([
  ['sim cloud', ['sim', 'cloud']],
  ['sim datacenter', ['sim', 'datacenter']],
  ['sink', ['sink', '--secret', 'sandbox-secret']],
])('pandev-bitbucket %s', (_, command) => {
  it('says the port is in use and to pick another with --port', async () => {
    const cli = runCli([...command, '--port', String(port)]);
    expect(await cli.exited()).toBe(1);
    expect(cli.output()).toContain(`port ${port} on 127.0.0.1 is in use`);
    expect(cli.output()).toContain('--port 0');
    expect(cli.output()).not.toMatch(/EADDRINUSE/);
  });

  it('refuses a port out of range with a usage error', async () => {
    for (const bad of ['70000', '-1', 'abc', '1.5']) {
      const cli = runCli([...command, '--port', bad]);
      expect(await cli.exited()).toBe(2);
      expect(cli.output()).toContain(`error: option '--port <n>' argument '${bad}' is invalid. expected a port number, 0..65535 (0: any free port)`);
    }
  });
});

describe('pandev-bitbucket sink with its secrets in files (the bridge quickstart)', () => {
  // The folder exists, so reading it fails too (EISDIR), as a _FILE set to the secrets folder does.
  it.each([
    ['PANDEV_SIGNING_SECRET_FILE', { PANDEV_SIGNING_SECRET_FILE: path.join(tmpdir(), 'pandev-sink-no-such-secret') }],
    ['PANDEV_SIGNING_SECRET_FILE', { PANDEV_SIGNING_SECRET_FILE: tmpdir() }],
    ['PANDEV_TOKEN_FILE', { PANDEV_SIGNING_SECRET: 'sandbox-secret', PANDEV_TOKEN_FILE: path.join(tmpdir(), 'pandev-sink-no-such-token') }],
  ])('names %s and what to give when the file cannot be read, not a bare Node error', async (variable, env) => {
    const cli = runCli(['sink', '--port', '0'], { PANDEV_SIGNING_SECRET: '', PANDEV_TOKEN: '', PANDEV_TOKEN_FILE: '', ...env });
    expect(await cli.exited()).toBe(1);
    expect(cli.output()).toContain(`${variable}=${(env as Record<string, string>)[variable]}: cannot be read`);
    expect(cli.output()).toContain('give the path of a readable file holding the value alone');
    expect(cli.output()).not.toMatch(/^(ENOENT|EISDIR)/m);
  });
});

describe('pandev-bitbucket sim', () => {
  /** Its exit code, or 'ran' when the simulator came up instead (stopped then). */
  async function outcome(args: string[]): Promise<{ code: number | null | 'ran'; output: string }> {
    const cli = runCli(['sim', ...args, '--port', '0']);
    const code = await Promise.race([cli.exited(), cli.waitFor(/simulator listening on/, 30_000).then(() => 'ran' as const)]);
    if (code === 'ran') await cli.stop();
    return { code, output: cli.output() };
  }

  // Every simulated repository's history is held in memory: `start` is bounded for that reason, and so are the simulators.
  it.each([['cloud'], ['datacenter']])('sim %s refuses a repository count that is not a whole number from 1 to 1000', async (edition) => {
    for (const bad of ['0', '100000', '1.5']) {
      const { code, output } = await outcome([edition, '--repositories', bad]);
      expect({ bad, code }).toEqual({ bad, code: 2 });
      expect(output).toContain(`error: option '--repositories <n>' argument '${bad}' is invalid. expected a whole number from 1 to 1000`);
    }
  }, 60_000);

  it('sim datacenter refuses more than 1000 repositories in all (projects times repositories per project)', async () => {
    const { code, output } = await outcome(['datacenter', '--projects', '50', '--repositories', '30']);
    expect(code).toBe(1);
    expect(output).toContain('--projects 50 × --repositories 30 is 1500 repositories; the simulator holds at most 1000');
  });
});

describe('pandev-bitbucket start', () => {
  /** Its exit code, or 'ran' when the sandbox came up instead (stopped then, so no test leaves it running). */
  async function outcome(args: string[]): Promise<{ code: number | null | 'ran'; output: string }> {
    const cli = runCli(['start', ...args]);
    const code = await Promise.race([cli.exited(), cli.waitFor(/Ctrl-C to stop/, 30_000).then(() => 'ran' as const)]);
    if (code === 'ran') await cli.stop();
    return { code, output: cli.output() };
  }

  it('stops with what to do when the settings page port is in use, instead of running without the page', async () => {
    const { code, output } = await outcome(['--page-port', String(port), '--repositories', '1']);
    expect(code).toBe(1);
    expect(output).toContain(`port ${port} on 127.0.0.1 is in use`);
    expect(output).toContain('--page-port 0');
    expect(output).not.toMatch(/EADDRINUSE|not served/);
  });

  it('refuses a repository count that is not a whole number from 1 to 1000 with a usage error', async () => {
    for (const bad of ['1.5', '0', '100000', 'abc']) {
      const { code, output } = await outcome(['--repositories', bad]);
      expect({ bad, code }).toEqual({ bad, code: 2 });
      expect(output).toContain(`error: option '--repositories <n>' argument '${bad}' is invalid. expected a whole number from 1 to 1000`);
    }
  }, 60_000);

  it('refuses a settings page port out of range with a usage error', async () => {
    const { code, output } = await outcome(['--page-port', '70000']);
    expect(code).toBe(2);
    expect(output).toContain(`error: option '--page-port <n>' argument '70000' is invalid. expected a port number, 0..65535 (0: any free port)`);
  });
});

describe('pandev-bitbucket sim datacenter --help', () => {
  it('shows the rate limit default in the form --rate-limit takes (capacity/refill), not as an object', async () => {
    const cli = runCli(['sim', 'datacenter', '--help']);
    expect(await cli.exited()).toBe(0);
    expect(cli.output().replace(/\s+/g, ' ')).toContain('token bucket per user as capacity/refill-per-second, or off (default: 60/5)');
  });
});
