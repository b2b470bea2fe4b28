import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Json } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');

describe('pandev-bitbucket sim cloud', () => {
  it('starts the simulator, prints where and with which credentials, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/cli/main.ts', 'sim', 'cloud', '--port', '0', '--seed', 'cli', '--repositories', '2', '--rate-limit', '0'], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      for (let i = 0; i < 200 && !/sandbox credentials[\s\S]*member/.test(output); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      expect(url).toBeDefined();
      const token = /app\s+Bearer (\S+)/.exec(output)?.[1];
      const summary = (await (await fetch(`${url}/_sim/workspace`)).json()) as Json;
      expect(summary.repositories).toHaveLength(2);
      expect(summary.credentials.appToken).toBe(token);
      expect(output).toContain(summary.workspace.uuid);
      const user = await fetch(`${url}/2.0/user`, { headers: { Authorization: `Bearer ${token}` } });
      expect(user.status).toBe(200);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('simulator stopped');
  });
});
