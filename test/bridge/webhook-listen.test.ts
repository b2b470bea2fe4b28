import { connect, createServer, type Server } from 'node:net';
import { signature } from '../../src/sandbox/dc-sim';
import { dcEnv, inProcessBridge, projectRepositories, until, WEBHOOK_SECRET, type DcEnv } from './helpers';

// The webhook port faces Data Center, so it must listen where Data Center can reach it; /metrics (every
// PROJECT/slug) and /healthz need not. BRIDGE_WEBHOOK_LISTEN puts the webhooks on a listener of their
// own, and whichever listener takes webhooks does not wait minutes for a sender's headers.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'webhook-listen', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false })));
afterAll(() => env.stop());

function signedPost(base: string, event: { eventKey: string; body: unknown }): Promise<Response> {
  const body = JSON.stringify(event.body);
  return fetch(`${base}/webhooks/bitbucket`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Event-Key': event.eventKey, 'X-Hub-Signature': signature(WEBHOOK_SECRET, body) }, body });
}

function taken(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** Whether anything still listens at the URL's port. */
async function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('BRIDGE_WEBHOOK_LISTEN', () => {
  it('serves the webhooks there only, and /healthz and /metrics on BRIDGE_LISTEN only', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/split.db`, BRIDGE_WEBHOOK_LISTEN: '127.0.0.1:0' }));
    try {
      const { url, webhookUrl } = running.ops;
      expect(webhookUrl).not.toBe(url);
      await running.runPass();
      const repo = projectRepositories(env.sim)[0]!;
      const [created] = env.sim.actions.createBranch({ repository: `${repo.projectKey}/${repo.slug}`, name: 'split' }).events;

      expect((await signedPost(webhookUrl, created!)).status).toBe(202);
      await until(() => running.bridge.store.count('dc:inbox:') === 0, 30_000, 'the webhook to be handled');
      expect((await fetch(`${webhookUrl}/healthz`)).status).toBe(404);
      expect((await fetch(`${webhookUrl}/metrics`)).status).toBe(404);

      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${url}/metrics`)).text()).toContain('pandev_bridge_outbox_depth');
      const refused = await signedPost(url, created!);
      expect(refused.status).toBe(404);
      expect(await refused.text()).toContain('BRIDGE_WEBHOOK_LISTEN');
    } finally {
      await running.stop();
    }
    expect(await listening(running.ops.url)).toBe(false);
    expect(await listening(running.ops.webhookUrl)).toBe(false);
  });

  it('when unset, serves all three on BRIDGE_LISTEN as before', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/shared.db` }));
    try {
      expect(running.ops.webhookUrl).toBe(running.ops.url);
      expect((await fetch(`${running.ops.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${running.ops.url}/metrics`)).status).toBe(200);
      // Unsigned: refused by the webhook handler, not by the routing.
      expect((await fetch(`${running.ops.url}/webhooks/bitbucket`, { method: 'POST', body: '{}' })).status).toBe(401);
    } finally {
      await running.stop();
    }
  });

  it('when unset and BRIDGE_LISTEN faces other hosts, says at start that /metrics (every PROJECT/slug) faces them too', async () => {
    const warned = (lines: string[]) => lines.map((line) => JSON.parse(line) as { level: string; msg: string }).filter((l) => l.level === 'warn' && l.msg.includes('/metrics'));
    const exposed: string[] = [];
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/exposed.db`, BRIDGE_LISTEN: '0.0.0.0:0' }), exposed);
    await running.stop();
    expect(warned(exposed).map((l) => l.msg)).toEqual([
      'BRIDGE_LISTEN (YAML: bridge.listen) 0.0.0.0 takes the webhooks and serves /metrics (every PROJECT/slug polled) and /healthz to whoever reaches it as well: set BRIDGE_WEBHOOK_LISTEN=0.0.0.0:9465, open only that port to Data Center, and keep BRIDGE_LISTEN on 127.0.0.1',
    ]);
    // On loopback, or with the webhooks on a listener of their own, nothing to say.
    for (const extra of [{}, { BRIDGE_LISTEN: '0.0.0.0:0', BRIDGE_WEBHOOK_LISTEN: '127.0.0.1:0' }] as Array<Record<string, string>>) {
      const lines: string[] = [];
      const quiet = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/quiet.db`, ...extra }), lines);
      await quiet.stop();
      expect(warned(lines)).toEqual([]);
    }
  });

  it('when its port is in use, fails the start naming BRIDGE_WEBHOOK_LISTEN, and leaves BRIDGE_LISTEN free', async () => {
    const server = await taken();
    const port = (server.address() as { port: number }).port;
    const lines: string[] = [];
    try {
      const start = inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/taken.db`, BRIDGE_WEBHOOK_LISTEN: `127.0.0.1:${port}` }), lines);
      await expect(start).rejects.toThrow(`BRIDGE_WEBHOOK_LISTEN (YAML: bridge.webhookListen) 127.0.0.1:${port} is in use by another process (another bridge on this host?): stop it, or set BRIDGE_WEBHOOK_LISTEN to a free host:port`);
      // Nothing left behind: the state file is free for the next start.
      const again = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/taken.db` }));
      await again.stop();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** Opens a connection, sends part of a request's headers and never the rest; resolves when the server ends it. */
function unfinishedHeaders(url: string): Promise<{ closedByServer: boolean; answer: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    let ended = false;
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.once('end', () => (ended = true));
    socket.once('error', reject);
    socket.once('connect', () => socket.write('POST /webhooks/bitbucket HTTP/1.1\r\nHost: bridge\r\nX-Event-Key: pr:opened\r\n'));
    socket.once('close', () => resolve({ closedByServer: ended, answer }));
  });
}

describe('the listener facing Data Center', () => {
  it('disconnects a client that never finishes its headers (with or without BRIDGE_WEBHOOK_LISTEN)', async () => {
    const split = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/slow-split.db`, BRIDGE_WEBHOOK_LISTEN: '127.0.0.1:0' }));
    const shared = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/slow-shared.db` }));
    try {
      const outcomes = await Promise.all([unfinishedHeaders(split.ops.webhookUrl), unfinishedHeaders(shared.ops.url)]);
      for (const outcome of outcomes) {
        expect(outcome.closedByServer).toBe(true);
        expect(outcome.answer).toMatch(/^HTTP\/1\.1 408 /);
      }
    } finally {
      await Promise.all([split.stop(), shared.stop()]);
    }
  }, 40_000);
});
