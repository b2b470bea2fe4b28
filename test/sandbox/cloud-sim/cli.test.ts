import { runCli } from '../../helpers/cli';
import type { Json } from './helpers';

describe('pandev-bitbucket sim cloud', () => {
  it('starts the simulator, prints where and with which credentials, and stops on SIGINT', async () => {
    const cli = runCli(['sim', 'cloud', '--port', '0', '--seed', 'cli', '--repositories', '2', '--rate-limit', '0']);
    let code: number | null;
    try {
      await cli.waitFor(/sandbox credentials[\s\S]*member/);
      const output = cli.output();
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
      code = await cli.stop();
    }
    expect(code).toBe(0);
    expect(cli.output()).toContain('simulator stopped');
  });
});
