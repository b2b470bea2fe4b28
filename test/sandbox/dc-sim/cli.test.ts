import { runCli } from '../../helpers/cli';
import type { Json } from './helpers';

describe('pandev-bitbucket sim datacenter', () => {
  it('starts the simulator, prints where, what and with which tokens, and stops on SIGINT', async () => {
    const cli = runCli(['sim', 'datacenter', '--port', '0', '--seed', 'cli', '--date-format', '10.x', '--context-path', '/bitbucket', '--rate-limit', '5/1']);
    let code: number | null;
    try {
      await cli.waitFor(/revoked\s+\S+\s+Bearer/);
      const output = cli.output();
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
      code = await cli.stop();
    }
    expect(code).toBe(0);
    expect(cli.output()).toContain('simulator stopped');
  });

  it('rejects a bad date format or rate limit with a usage error', async () => {
    for (const bad of [['--date-format', '11.x'], ['--rate-limit', 'lots']]) {
      const cli = runCli(['sim', 'datacenter', ...bad]);
      expect(await cli.exited()).not.toBe(0);
      expect(cli.output()).toMatch(/expected (9\.x or 10\.x|capacity\/refill)/);
    }
  });
});
