import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bitbucketGet, StoppingError } from '../../src/bridge/http/bitbucket';
import { limiter } from '../../src/bridge/http/limiter';

// Stopping the bridge ends a wait for Bitbucket's rate limit at once: a Retry-After of ten minutes
// would otherwise outlast the grace a service manager gives before SIGKILL.

let server: Server;
let url: string;
let asked = 0;
beforeAll(async () => {
  server = createServer((_, res) => {
    asked++;
    res.writeHead(429, { 'Retry-After': '600', 'Content-Type': 'text/plain' }).end('Rate limit exceeded');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rest/api/1.0/projects`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

it('ends a Retry-After wait when the bridge stops', async () => {
  const stop = new AbortController();
  const http = { baseUrl: url, authorization: 'Bearer t', send: fetch, limiter: limiter({ ratePerSecond: 100, burst: 10, concurrency: 2 }), signal: stop.signal };
  const request = bitbucketGet(http as never, url);
  while (asked === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  stop.abort();
  await expect(request).rejects.toBeInstanceOf(StoppingError);
  expect(asked).toBe(1);
});

it('ends a wait for the limiter when the bridge stops', async () => {
  const stop = new AbortController();
  const shared = limiter({ ratePerSecond: 100, burst: 10, concurrency: 2 });
  shared.pauseUntil(Date.now() + 600_000);
  const before = asked;
  const request = bitbucketGet({ baseUrl: url, authorization: 'Bearer t', send: fetch, limiter: shared, signal: stop.signal } as never, url);
  stop.abort();
  await expect(request).rejects.toBeInstanceOf(StoppingError);
  expect(asked).toBe(before);
});
