import { egressAllowed } from '../../../src/sandbox/forge-host';
import { startEchoServer, startTestHost, type TestHost } from './helpers';

describe('local Forge host: product API, egress and ingress', () => {
  let echo: { url: string; close: () => Promise<void> };
  let t: TestHost;
  beforeAll(async () => {
    echo = await startEchoServer();
  });
  afterAll(() => echo.close());
  afterEach(() => t.host.stop());

  const start = async (allowLoopback: boolean): Promise<void> => {
    t = await startTestHost({
      bitbucket: { baseUrl: echo.url, appToken: 'app-token', userTokens: { 'acc-1': 'user-token-1' } },
      egress: { allowLoopback },
    });
  };

  it('proxies asUser() and asApp() Bitbucket calls with their Bearer tokens and passes answers through', async () => {
    await start(false);
    const result = await t.host.invokeResolver('resolver-fn', 'whoami', {}, { accountId: 'acc-1' });
    expect(result).toEqual({
      accountId: 'acc-1',
      moduleKey: 'settings-page',
      user: { path: '/2.0/user', authorization: 'Bearer user-token-1' },
      // WHATWG URL parsing (fetch) percent-encodes the braces of Bitbucket UUIDs in the path.
      app: { path: '/2.0/workspaces/%7Bws%7D', authorization: 'Bearer app-token' },
      missing: { status: 404, text: 'Repository not found' },
    });
  });

  it('answers asUser() for an account without a token as Forge does: NeedsAuthenticationError', async () => {
    await start(false);
    await expect(t.host.invokeResolver('resolver-fn', 'whoami', {}, { accountId: 'stranger' })).rejects.toMatchObject({
      name: 'NEEDS_AUTHENTICATION_ERR',
    });
  });

  it('says in the host log why Bitbucket gave no answer, where the app sees only Forge\'s PROXY_ERR', async () => {
    const closed = await startEchoServer();
    await closed.close();
    t = await startTestHost({ bitbucket: { baseUrl: closed.url, appToken: 'app-token', userTokens: { 'acc-1': 'user-token-1' } } });
    await expect(t.host.invokeResolver('resolver-fn', 'whoami', {}, { accountId: 'acc-1' })).rejects.toThrow();
    const notes = t.lines.filter((l) => l.source === 'host' && l.message.startsWith(`Bitbucket at ${closed.url} gave no answer`));
    expect(notes[0]).toMatchObject({ level: 'warn', message: expect.stringContaining('GET /2.0/user (connect ECONNREFUSED') });
  });

  it('refuses egress to an undeclared host, and to loopback unless allowed', async () => {
    await start(false);
    const call = (url: string): Promise<unknown> => t.host.invokeResolver('resolver-fn', 'fetch', { url }, { accountId: 'acc-1' });
    expect(await call('https://evil.example.net/collect')).toEqual({
      error: 'REQUEST_EGRESS_ALLOWLIST_ERR',
      message: expect.stringContaining('URL not included in the external fetch backend permissions: https://evil.example.net/collect'),
    });
    expect(await call(`${echo.url}/x`)).toMatchObject({ error: 'REQUEST_EGRESS_ALLOWLIST_ERR' });
    // The test's own fetch is outside any invocation: not the app's egress.
    expect((await fetch(`${t.host.url}/health`)).status).toBe(200);
    await t.host.stop();

    await start(true);
    expect(await t.host.invokeResolver('resolver-fn', 'fetch', { url: `${echo.url}/x` }, { accountId: 'acc-1' })).toEqual({ status: 200 });
    expect(t.lines.filter((l) => l.message.startsWith('egress: loopback addresses are allowed'))).toHaveLength(1);
  });

  it('serves POST /events and POST /resolver/<functionKey> over HTTP', async () => {
    await start(false);
    const post = (p: string, body: unknown): Promise<Response> =>
      fetch(`${t.host.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const event = await post('/events', { eventType: 'avi:bitbucket:push:repository', repository: { uuid: '{r5}' }, delayInSeconds: 0 });
    expect([event.status, await event.json()]).toEqual([202, { accepted: true, triggers: 1 }]);
    await t.host.idle();
    expect(await t.host.kvs.get('push:r5')).toBeDefined();

    const call = await post('/resolver/resolver-fn', { call: { functionKey: 'get', payload: { key: 'push:r5' } }, accountId: 'acc-1' });
    expect(call.status).toBe(200);
    expect(await call.json()).toMatchObject({ result: { value: { eventType: 'avi:bitbucket:push:repository' } } });
    expect((await post('/resolver/nope', { call: { functionKey: 'get' }, accountId: 'a' })).status).toBe(404);
    expect((await post('/events', { no: 'type' })).status).toBe(400);
  });

  it('refuses what a page of another origin can send without a preflight: text/plain bodies, foreign Origins', async () => {
    await start(false);
    const set = JSON.stringify({ call: { functionKey: 'set', payload: { key: 'csrf', value: 'written' } }, accountId: 'acc-1' });
    const post = (p: string, headers: Record<string, string>, body = set): Promise<Response> => fetch(`${t.host.url}${p}`, { method: 'POST', headers, body });
    // What a form or a no-cors fetch on http://evil.example sends: a "simple" request, no preflight.
    const simple = await post('/resolver/resolver-fn', { 'content-type': 'text/plain;charset=UTF-8', origin: 'http://evil.example' });
    expect([simple.status, await simple.json()]).toEqual([403, { error: expect.stringContaining('http://evil.example') }]);
    expect((await post('/resolver/resolver-fn', { 'content-type': 'application/json', origin: 'http://evil.example' })).status).toBe(403);
    // Without an Origin (a browser that hides it), text/plain is still no call a page can make.
    const plain = await post('/resolver/resolver-fn', { 'content-type': 'text/plain' });
    expect([plain.status, await plain.json()]).toEqual([415, { error: expect.stringContaining('Content-Type: application/json') }]);
    expect((await post('/resolver/resolver-fn', {})).status).toBe(415);
    const event = await post('/events', { 'content-type': 'text/plain', origin: 'null' }, JSON.stringify({ eventType: 'avi:bitbucket:push:repository', repository: { uuid: '{r6}' } }));
    expect(event.status).toBe(403);
    await t.host.idle();
    expect(await t.host.kvs.get('csrf')).toBeUndefined();
    expect(await t.host.kvs.get('push:r6')).toBeUndefined();

    // The host's own origin (by either loopback name) and callers that send no Origin (processes) may.
    const port = new URL(t.host.url).port;
    for (const origin of [t.host.url, `http://localhost:${port}`]) {
      expect((await post('/resolver/resolver-fn', { 'content-type': 'application/json; charset=utf-8', origin })).status).toBe(200);
    }
    expect(await t.host.kvs.get('csrf')).toBe('written');
  });

  it('installs the Forge globals only while a host runs', async () => {
    const before = globalThis.fetch;
    await start(false);
    expect(globalThis.fetch).not.toBe(before);
    await t.host.stop();
    expect(globalThis.fetch).toBe(before);
    expect('__forge_fetch__' in globalThis).toBe(false);
    await start(false);
  });
});

describe('egress patterns', () => {
  it('matches exact hosts, subdomain wildcards and * as Forge declares them', () => {
    const declared = ['*.pandev-metrics.com', 'https://metrics.example.com/path', 'plain.example.org'];
    expect(egressAllowed('ingest.pandev-metrics.com', declared)).toBe(true);
    expect(egressAllowed('a.b.pandev-metrics.com', declared)).toBe(true);
    expect(egressAllowed('pandev-metrics.com.evil.net', declared)).toBe(false);
    expect(egressAllowed('metrics.example.com', declared)).toBe(true);
    expect(egressAllowed('plain.example.org', declared)).toBe(true);
    expect(egressAllowed('example.com', declared)).toBe(false);
    expect(egressAllowed('anything.net', ['*'])).toBe(true);
  });
});
