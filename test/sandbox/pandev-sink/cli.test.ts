import { randomUUID } from 'node:crypto';
import { signBody } from '../../../src/sandbox/pandev-sink';
import { runCli } from '../../helpers/cli';

// `pandev-bitbucket sink` as the README starts it: the signing secret from the environment (a flag
// would show in `ps`), each delivery printed, Ctrl-C to stop.

async function deliver(url: string, secret: string): Promise<{ status: number; id: string }> {
  const body = JSON.stringify({ repository: { uuid: '{r}' }, push: { changes: [] } });
  const id = randomUUID();
  const response = await fetch(`${url}/v1/bitbucket/webhook/repository`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer any', 'x-hub-signature': signBody(secret, body), 'x-event-key': 'repo:push', 'x-request-uuid': id, 'x-attempt-number': '1' },
    body,
  });
  return { status: response.status, id };
}

describe('pandev-bitbucket sink', () => {
  it('takes the signing secret from PANDEV_SIGNING_SECRET and verifies deliveries with it', async () => {
    const cli = runCli(['sink', '--port', '0'], { PANDEV_SIGNING_SECRET: 'from-the-environment' });
    let code: number | null;
    try {
      await cli.waitFor(/PanDev sink on http:\/\/127\.0\.0\.1:\d+/);
      const url = /PanDev sink on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.output())![1]!;
      const signed = await deliver(url, 'from-the-environment');
      expect(signed.status).toBe(200);
      expect((await deliver(url, 'another-secret')).status).toBe(401);
      await cli.waitFor(new RegExp(`repo:push ${signed.id} attempt 1`));
      expect(cli.output()).toContain(`repo:push ${signed.id} attempt 1`);
      expect(cli.output()).not.toContain('from-the-environment');
    } finally {
      code = await cli.stop();
    }
    expect(code).toBe(0);
  });

  it('says how to give the secret when there is none, and exits 1', async () => {
    const cli = runCli(['sink', '--port', '0'], { PANDEV_SIGNING_SECRET: '' });
    expect(await cli.exited()).toBe(1);
    expect(cli.output()).toContain('sink needs a signing secret: set PANDEV_SIGNING_SECRET');
  });
});
