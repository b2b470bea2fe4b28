import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { dcTransport } from '../../src/bridge/http/bitbucket';
import { limiter } from '../../src/bridge/http/limiter';
import { rateLimited, rateLimitRecorder } from '../../src/bridge/poll/rate-limited';
import { openSqliteStore, type SqliteStore } from '../../src/bridge/state/sqlite-store';
import { BitbucketError } from '../../src/core/errors';
import { dcClient } from '../../src/core/enrich/datacenter/client';
import { z } from 'zod';

// A 429 is Data Center's rate limiter asking the bridge to wait, and the bridge waits (Retry-After)
// and asks again. Only a request refused eight times more in a row gives up, as a rate-limited
// failure (the poll retries that repository next pass), with the episode kept for `status`.

let server: Server;
let baseUrl: string;
/** Refusals left before the instance answers; every request is counted. */
let refusals = 0;
let asked = 0;
let dir: string;
let store: SqliteStore;
let files = 0;
beforeAll(async () => {
  server = createServer((_, res) => {
    asked++;
    if (refusals-- > 0) return void res.writeHead(429, { 'Retry-After': '0', 'Content-Type': 'text/plain' }).end('Rate limit exceeded');
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ values: [], size: 0, isLastPage: true, start: 0, limit: 25 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(path.join(os.tmpdir(), 'rate-limit-'));
});
// A state file of its own for each case: the episode one kept must not answer for the next.
beforeEach(() => (store = openSqliteStore(path.join(dir, `bridge-${++files}.db`))));
afterEach(() => store.close());
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await new Promise((resolve) => server.close(resolve));
});

const client = () =>
  dcClient(dcTransport({ baseUrl, authorization: 'Bearer t', send: fetch, limiter: limiter({ ratePerSecond: 100, burst: 10, concurrency: 2 }), rateLimits: rateLimitRecorder(store, { now: () => Date.now() }, 'datacenter') }));
const request = { endpoint: 'pullRequests' as const, params: { projectKey: 'P', repositorySlug: 'r' } };
const Answer = z.object({ values: z.array(z.unknown()) });

it('waits and asks again while Data Center refuses, and answers once it lets the request through', async () => {
  refusals = 8;
  asked = 0;
  await expect(client().get(request, Answer)).resolves.toEqual({ values: [] });
  expect(asked).toBe(9);
  expect(await rateLimited(store)).toMatchObject({ edition: 'datacenter' });
});

it('gives up after the ninth refusal in a row, as a rate-limited failure', async () => {
  refusals = 100;
  asked = 0;
  const failure = await client().get(request, Answer).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(BitbucketError);
  expect(failure).toMatchObject({ kind: 'rate-limited', status: 429 });
  expect((failure as Error).message).toBe('Bitbucket answered 429 to GET /rest/api/1.0/projects/P/repos/r/pull-requests: Rate limit exceeded');
  expect(asked).toBe(9);
  expect(await rateLimited(store)).toMatchObject({ edition: 'datacenter' });
});
