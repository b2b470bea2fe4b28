import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { cloudConfig, cloudEnv, inProcessBridge } from './helpers';

// Bitbucket Cloud pages with a `next` link, and the bridge follows it with its token. A link to any
// other host (a proxy that rewrites bodies, a forged answer) must not be followed: the token would go
// with it.

it('refuses a pagination link to another host, sends that host nothing, and says why', async () => {
  const env = await cloudEnv('cloud-next-link', 1);
  const seen: IncomingHttpHeaders[] = [];
  const elsewhere = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"values":[]}');
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
  const next = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/2.0/repositories/${env.sim.workspace.slug}?page=2`;
  env.sim.faults.add({ method: 'GET', path: '^/2\\.0/repositories/[^/]+$', status: 200, body: JSON.stringify({ pagelen: 1, values: [], next }) });
  const lines: string[] = [];
  const running = await inProcessBridge(cloudConfig(env, path.join(env.dir, 'next.db')), lines);
  try {
    await running.runPass();
    expect(seen).toEqual([]);
    expect(lines.some((line) => line.includes(`refusing to follow a pagination link to another host: http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`))).toBe(true);
  } finally {
    await running.stop();
    await new Promise((resolve) => elsewhere.close(resolve));
    await env.stop();
  }
});
