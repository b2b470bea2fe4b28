import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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

  it('reads the secret from the file PANDEV_SIGNING_SECRET_FILE names, as the bridge does', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sink-secret-'));
    const file = path.join(dir, 'signing-secret');
    writeFileSync(file, 'from-a-file\n', { mode: 0o600 });
    const cli = runCli(['sink', '--port', '0'], { PANDEV_SIGNING_SECRET: '', PANDEV_SIGNING_SECRET_FILE: file });
    try {
      await cli.waitFor(/PanDev sink on http:\/\/127\.0\.0\.1:\d+/);
      const url = /PanDev sink on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.output())![1]!;
      expect((await deliver(url, 'from-a-file')).status).toBe(200);
    } finally {
      expect(await cli.stop()).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says how to give the secret when there is none, and exits 1', async () => {
    const cli = runCli(['sink', '--port', '0'], { PANDEV_SIGNING_SECRET: '' });
    expect(await cli.exited()).toBe(1);
    expect(cli.output()).toContain('sink needs a signing secret: set PANDEV_SIGNING_SECRET');
  });
});
