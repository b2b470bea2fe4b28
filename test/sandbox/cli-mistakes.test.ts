import { createServer, type Server } from 'node:net';
import { runCli } from '../helpers/cli';

// The sandbox's commands as a newcomer mistypes them: each mistake ends the command with a non-zero
// exit code and a message that says what is wrong and what to do, never a bare Node error.

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
      expect(await cli.exited()).toBe(1);
      expect(cli.output()).toContain(`error: option '--port <n>' argument '${bad}' is invalid. expected a port number, 0..65535 (0: any free port)`);
    }
  });
});
