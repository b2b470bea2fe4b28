import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Json } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');

describe('pandev-bitbucket sim datacenter', () => {
  it('starts the simulator, prints where, what and with which tokens, and stops on SIGINT', async () => {
    const args = ['src/cli/main.ts', 'sim', 'datacenter', '--port', '0', '--seed', 'cli', '--date-format', '10.x', '--context-path', '/bitbucket', '--rate-limit', '5/1'];
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      for (let i = 0; i < 200 && !/revoked\s+\S+\s+Bearer/.test(output); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+\/bitbucket)/.exec(output)?.[1];
      expect(url).toBeDefined();
      expect(output).toContain('Bitbucket Data Center 10.3.0 simulator');
      expect(output).toMatch(/rate limit 5 tokens, 1\/s per user/);
      const token = /user\s+\S+\s+Bearer (\S+)/.exec(output)?.[1];
      const summary = (await (await fetch(`${url}/_sim/instance`)).json()) as Json;
      expect(summary.credentials.user.token).toBe(token);
      expect(output).toContain(`pull request #${summary.corrupt.pullRequestId} answers 500`);
      const projects = await fetch(`${url}/rest/api/1.0/projects`, { headers: { Authorization: `Bearer ${token}` } });
      expect(projects.status).toBe(200);
      expect(projects.headers.get('x-ausername')).toBe(summary.credentials.user.username);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('simulator stopped');
  });

  it('rejects a bad date format or rate limit with a usage error', async () => {
    for (const bad of [['--date-format', '11.x'], ['--rate-limit', 'lots']]) {
      const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/cli/main.ts', 'sim', 'datacenter', ...bad], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stderr.on('data', (chunk) => (output += chunk));
      expect(await new Promise((resolve) => child.on('exit', resolve))).not.toBe(0);
      expect(output).toMatch(/expected (9\.x or 10\.x|capacity\/refill)/);
    }
  });
});
