import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listDead } from '../../src/bridge/cli/dead-letters';
import { settingsStore } from '../../src/core/config/settings';
import { dcEnv, inProcessBridge, settledPass, type DcEnv } from './helpers';

// A delivery PanDev refuses for good becomes a dead letter whose reason says what to fix; a refused
// token or signature pauses every delivery, with a reason that says the same. A bridge operator has no
// settings page: the reason must name the variable to change, or it sends them looking for "the app's
// settings" that do not exist.

let env: DcEnv;
let redirecting: Server;
beforeAll(async () => {
  env = await dcEnv({ seed: 'dead-letter-reasons', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false });
  redirecting = createServer((_, res) => res.writeHead(301, { Location: 'https://pandev.example.com/' }).end());
  await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => redirecting.close(resolve));
  await env.stop();
});

async function reasons(extra: Record<string, string>, db: string): Promise<{ dead: string[]; paused?: string }> {
  const running = await inProcessBridge(env.config({ ...extra, BRIDGE_DB: `${env.dir}/${db}.db` }));
  try {
    await settledPass(running);
    const paused = (await settingsStore(running.bridge.store, running.bridge.ctx.secrets).connection())?.disabled?.reason;
    return { dead: [...new Set((await listDead(running.bridge.store)).map((letter) => letter.reason))], ...(paused ? { paused } : {}) };
  } finally {
    await running.stop();
  }
}

describe('the reason of a pause or a dead letter', () => {
  it('names PANDEV_TOKEN when PanDev refuses the token', async () => {
    const { dead, paused } = await reasons({ PANDEV_TOKEN: 'a-revoked-token' }, 'token');
    expect(dead).toEqual([]);
    expect(paused).toContain('PANDEV_TOKEN or PANDEV_TOKEN_FILE');
    expect(paused).toContain('`pandev-bitbucket check` passes');
    expect(paused).not.toContain("app's settings");
  });

  it('names PANDEV_SIGNING_SECRET when PanDev refuses the signature', async () => {
    const { dead, paused } = await reasons({ PANDEV_SIGNING_SECRET: 'not-the-shared-secret' }, 'secret');
    expect(dead).toEqual([]);
    expect(paused).toContain('PANDEV_SIGNING_SECRET or PANDEV_SIGNING_SECRET_FILE');
    expect(paused).not.toContain("app's settings");
  });

  it('names PANDEV_URL when PanDev answers a redirect', async () => {
    const { dead } = await reasons({ PANDEV_URL: `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}` }, 'redirect');
    expect(dead).toHaveLength(1);
    expect(dead[0]).toContain('PANDEV_URL');
    expect(dead[0]).not.toContain("app's settings");
  });
});
