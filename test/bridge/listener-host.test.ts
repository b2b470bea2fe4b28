import { request } from 'node:http';
import { signature } from '../../src/sandbox/dc-sim';
import { dcEnv, inProcessBridge, projectRepositories, settledPass, WEBHOOK_SECRET, type DcEnv } from './helpers';

// DNS rebinding: a page the operator opens rebinds its own name to 127.0.0.1 and reads the bridge's
// /metrics (every PROJECT/slug) through the browser. The browser still sends the page's name as Host:
// the listener refuses it, while Data Center's webhooks, posted under the bridge's real host name, go on.

/** A request over loopback with the Host header a browser would send for `host`. */
function get(url: string, path: string, host: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { ...options.headers, Host: host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe("the bridge's listener and the Host header", () => {
  let env: DcEnv;
  beforeAll(async () => (env = await dcEnv({ seed: 'listener-host', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false })));
  afterAll(() => env.stop());

  it('refuses /metrics and /healthz to a rebound name with 421 and the setting to use, and serves loopback names, addresses and the names allowed', async () => {
    const lines: string[] = [];
    const running = await inProcessBridge(env.config({ BRIDGE_ALLOWED_HOSTS: 'metrics.example.internal' }), lines);
    try {
      await settledPass(running);
      const repo = projectRepositories(env.sim)[0]!;
      const port = new URL(running.ops.url).port;
      for (const path of ['/metrics', '/healthz']) {
        const rebound = await get(running.ops.url, path, `attacker.example:${port}`);
        expect(rebound.status).toBe(421);
        expect(rebound.body).not.toContain(repo.slug);
        expect((JSON.parse(rebound.body) as { error: string }).error).toMatch(/^Host "attacker\.example:\d+" is not a name of this bridge: .*DNS rebinding.*add it to BRIDGE_ALLOWED_HOSTS \(YAML: bridge\.allowedHosts\)/);
      }
      expect(lines.filter((line) => line.includes('request refused: its Host'))).toHaveLength(1);
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, '10.1.2.3:9464', 'metrics.example.internal', 'METRICS.example.internal.']) {
        const answer = await get(running.ops.url, '/metrics', host);
        expect({ host, status: answer.status }).toEqual({ host, status: 200 });
        expect(answer.body).toContain(`${repo.projectKey}/${repo.slug}`);
      }
    } finally {
      await running.stop();
    }
  }, 60_000);

  it('refuses a BRIDGE_ALLOWED_HOSTS entry that is a URL, naming the setting', () => {
    expect(() => env.config({ BRIDGE_ALLOWED_HOSTS: 'https://metrics.example.internal:9464' })).toThrow(/BRIDGE_ALLOWED_HOSTS \(YAML: bridge\.allowedHosts\) must list host names or addresses as a browser sends them, without scheme or port/);
  });

  it('takes a webhook posted under the host name Data Center knows the bridge by', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/webhooks.db` }));
    try {
      await settledPass(running);
      const repo = projectRepositories(env.sim)[0]!;
      const opened = env.sim.actions.openPullRequest({ repository: `${repo.projectKey}/${repo.slug}`, title: 'Posted by name' });
      const event = opened.events.find((e) => e.eventKey === 'pr:opened')!;
      const body = JSON.stringify(event.body);
      const headers = { 'Content-Type': 'application/json', 'X-Event-Key': event.eventKey, 'X-Hub-Signature': signature(WEBHOOK_SECRET, body) };
      const answer = await get(running.ops.webhookUrl, '/webhooks/bitbucket', 'bitbucket-bridge.example.com:9464', { method: 'POST', headers, body });
      expect(answer.status).toBe(202);
    } finally {
      await running.stop();
    }
  }, 60_000);

  it('answers a request target that is no path (`//`, `//[`) and goes on serving', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/odd-paths.db` }));
    try {
      await settledPass(running);
      for (const path of ['//', '///', '//[', '//[?x=1']) {
        const answer = await get(running.ops.url, path, 'localhost');
        expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      }
      const health = await get(running.ops.url, '/healthz?verbose=1', 'localhost');
      expect(health.status).toBe(200);
    } finally {
      await running.stop();
    }
  }, 60_000);
});
