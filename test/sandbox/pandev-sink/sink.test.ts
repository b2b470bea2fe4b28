import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { signBody, startPanDevSink, verifySignature, type PanDevSink } from '../../../src/sandbox/pandev-sink';

const SECRET = 'sandbox-signing-secret';
const TOKEN = 'sandbox-ingest-token';
const SIGNED_FIXTURE = path.resolve(
  __dirname,
  '../../../../shared/fixtures/jenkinsci-bitbucket-branch-source-plugin/src/test/resources/com/cloudbees/jenkins/plugins/bitbucket/impl/webhook/cloud/signed_payload.json',
);

interface SendOptions {
  path?: string;
  id?: string;
  eventKey?: string;
  attempt?: string;
  body?: string;
  token?: string;
  signature?: string;
  omit?: string[];
}

function send(sink: PanDevSink, o: SendOptions = {}): Promise<Response> {
  const body = o.body ?? JSON.stringify({ repository: { uuid: '{r}' }, push: { changes: [] } });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${o.token ?? TOKEN}`,
    'x-hub-signature': o.signature ?? signBody(SECRET, body),
    'x-event-key': o.eventKey ?? 'repo:push',
    'x-request-uuid': o.id ?? 'd-1',
    'x-attempt-number': o.attempt ?? '1',
  };
  for (const name of o.omit ?? []) delete headers[name];
  return fetch(`${sink.url}${o.path ?? '/v1/bitbucket/webhook/repository'}`, { method: 'POST', headers, body });
}

describe('PanDev sink', () => {
  let sink: PanDevSink;
  beforeEach(async () => {
    sink = await startPanDevSink({ secret: SECRET, token: TOKEN, seed: 7 });
  });
  afterEach(() => sink.stop());

  it('verifies the real Bitbucket Cloud HMAC vector over the exact body bytes', async () => {
    if (!existsSync(SIGNED_FIXTURE)) {
      console.log(`skipped: fixture not found at ${SIGNED_FIXTURE}`);
      return;
    }
    const raw = readFileSync(SIGNED_FIXTURE);
    const secret = 'Gkvl$k$wyNpQAF42';
    const expected = 'sha256=f205c729821c6954aff2afe72b965c34015b4baf96ea8ddc2cc44999c014a035';
    expect(signBody(secret, raw)).toBe(expected);
    expect(verifySignature(secret, raw, expected)).toBe(true);
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8')), null, 2));
    expect(verifySignature(secret, reserialized, expected)).toBe(false);
    expect(verifySignature('wrong', raw, expected)).toBe(false);
    expect(verifySignature(secret, raw, 'sha256=short')).toBe(false);

    const cloud = await startPanDevSink({ secret });
    try {
      const res = await fetch(`${cloud.url}/v1/bitbucket/webhook/repository`, {
        method: 'POST',
        headers: { 'x-hub-signature': expected, 'x-event-key': 'repo:push', 'x-request-uuid': 'fixture', 'x-attempt-number': '1' },
        body: raw,
      });
      expect(res.status).toBe(200);
      expect(cloud.deliveries()[0]?.raw).toBe(raw.toString('utf8'));
    } finally {
      await cloud.stop();
    }
  });

  it('stores a signed delivery with its endpoint, attempt, headers and raw body', async () => {
    const res = await send(sink, { path: '/v1/bitbucket/webhook/merge-request', eventKey: 'pullrequest:created', attempt: '2' });
    expect(res.status).toBe(200);
    const [d] = await sink.waitFor(1);
    expect(d).toMatchObject({ id: 'd-1', eventKey: 'pullrequest:created', endpoint: 'merge-request', attempt: 2 });
    expect(d?.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(d?.body).toEqual(JSON.parse(d?.raw ?? ''));
  });

  it('refuses a bad signature or token with 401 and stores nothing', async () => {
    const badSig = await send(sink, { signature: signBody('other-secret', '{}') });
    expect([badSig.status, await badSig.text()]).toEqual([401, 'signature mismatch']);
    const badToken = await send(sink, { token: 'revoked' });
    expect([badToken.status, await badToken.text()]).toEqual([401, 'invalid or revoked ingest token']);
    expect(sink.deliveries()).toHaveLength(0);
    expect(sink.received()).toBe(2);
    expect(sink.rejected().map((r) => r.reason)).toEqual(['signature mismatch', 'invalid or revoked ingest token']);
  });

  it('says when the signature is missing or not sha256=<hex>, rather than that it does not match', async () => {
    const missing = await send(sink, { omit: ['x-hub-signature'] });
    expect([missing.status, await missing.text()]).toEqual([401, 'missing X-Hub-Signature']);
    const malformed = await send(sink, { signature: 'sha1=0123abcd' });
    expect([malformed.status, await malformed.text()]).toEqual([401, 'malformed X-Hub-Signature: expected sha256=<64 hex digits>']);
    expect(sink.deliveries()).toHaveLength(0);
  });

  it('answers 404 on any other path, including a prefixed ingest path', async () => {
    const res = await send(sink, { path: '/api/v1/bitbucket/webhook/repository' });
    expect(res.status).toBe(404);
    expect(sink.received()).toBe(0);
    expect(sink.rejected()[0]).toMatchObject({ status: 404 });
  });

  it('lists missing delivery headers with 400', async () => {
    const res = await send(sink, { omit: ['x-request-uuid', 'x-attempt-number'] });
    expect([res.status, await res.text()]).toEqual([400, 'missing headers: X-Request-UUID, X-Attempt-Number']);
  });

  it('deduplicates on X-Request-UUID: a retry is answered 200 and not stored twice', async () => {
    expect((await send(sink, { id: 'same' })).status).toBe(200);
    const again = await send(sink, { id: 'same', attempt: '2' });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'duplicate' });
    expect(sink.deliveries()).toHaveLength(1);
    expect(sink.duplicates()).toBe(1);
    expect(sink.received()).toBe(2);
  });

  it('answers a diagnostics ping after the checks without storing it', async () => {
    const ping = await send(sink, { eventKey: 'diagnostics:ping', omit: ['x-request-uuid', 'x-attempt-number'] });
    expect(ping.status).toBe(200);
    expect((await send(sink, { eventKey: 'diagnostics:ping', token: 'bad' })).status).toBe(401);
    expect(sink.pings()).toBe(1);
    expect(sink.deliveries()).toHaveLength(0);
  });

  it('injects 500 and 429 with Retry-After, storing nothing', async () => {
    sink.setFaults({ share: 1, kinds: ['500'] });
    expect((await send(sink, { id: 'a' })).status).toBe(500);
    sink.setFaults({ share: 1, kinds: ['429'], retryAfterSeconds: 7 });
    const limited = await send(sink, { id: 'a' });
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
    sink.setFaults(null);
    expect((await send(sink, { id: 'a' })).status).toBe(200);
    expect(sink.deliveries()).toHaveLength(1);
    expect(sink.rejected().map((r) => r.reason)).toEqual(['fault 500', 'fault 429']);
  });

  it('fails a seeded share of requests, the same ones on every run', async () => {
    const outcomes = async (): Promise<number[]> => {
      const s = await startPanDevSink({ secret: SECRET, seed: 42 });
      s.setFaults({ share: 0.5, kinds: ['500'] });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i += 1) statuses.push((await send(s, { id: `id-${i}` })).status);
      await s.stop();
      return statuses;
    };
    const first = await outcomes();
    expect(first).toEqual(await outcomes());
    expect(first).toContain(500);
    expect(first).toContain(200);
  });

  it("holds a 'timeout' request and drops the connection without storing", async () => {
    sink.setFaults({ share: 1, kinds: ['timeout'], holdMs: 50 });
    const started = Date.now();
    await expect(send(sink)).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(sink.deliveries()).toHaveLength(0);
    expect(sink.rejected()[0]).toMatchObject({ reason: 'fault timeout', status: 0 });
  });

  it('answers the next N requests with a scripted status, then returns to normal', async () => {
    sink.respondNext(410, 2, 'destination disabled');
    const first = await send(sink, { id: 'x' });
    expect([first.status, await first.text()]).toEqual([410, 'destination disabled']);
    expect((await send(sink, { id: 'x' })).status).toBe(410);
    expect((await send(sink, { id: 'x' })).status).toBe(200);
    expect(sink.deliveries()).toHaveLength(1);
  });

  it('answers only requests of the event key named, when one is, leaving the others to flow', async () => {
    sink.respondNext(400, 1, 'unsupported ping', 'diagnostics:ping');
    expect((await send(sink, { id: 'y', eventKey: 'repo:push' })).status).toBe(200);
    const ping = await send(sink, { id: 'z', eventKey: 'diagnostics:ping' });
    expect([ping.status, await ping.text()]).toEqual([400, 'unsupported ping']);
    expect((await send(sink, { id: 'z2', eventKey: 'diagnostics:ping' })).status).toBe(200);
  });

  it('serves the admin API: deliveries by event key, stats, faults, respond-next, clear', async () => {
    await send(sink, { id: 'p', eventKey: 'pullrequest:created', path: '/v1/bitbucket/webhook/merge-request' });
    await send(sink, { id: 'q', eventKey: 'repo:push' });
    const admin = (p: string, init?: RequestInit): Promise<Response> => fetch(`${sink.url}/_sink/${p}`, init);
    const list = (await (await admin('deliveries?eventKey=repo:push')).json()) as Array<{ id: string }>;
    expect(list.map((d) => d.id)).toEqual(['q']);
    expect(await (await admin('stats')).json()).toMatchObject({ received: 2, deliveries: 2, duplicates: 0 });
    const post = (p: string, body: unknown): Promise<Response> =>
      admin(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('faults', { share: 2, kinds: ['500'] })).status).toBe(400);
    expect((await post('faults', { share: 1, kinds: ['500'] })).status).toBe(200);
    expect((await send(sink, { id: 'r' })).status).toBe(500);
    expect((await post('faults', null)).status).toBe(200);
    expect((await post('respond-next', { status: 400, times: 1 })).status).toBe(200);
    expect((await send(sink, { id: 'r' })).status).toBe(400);
    expect((await admin('deliveries', { method: 'DELETE' })).status).toBe(200);
    expect(sink.deliveries()).toHaveLength(0);
    expect(sink.received()).toBe(0);
  });

  it('refuses admin mutations a page of another origin can send without a preflight', async () => {
    const admin = (p: string, init: RequestInit): Promise<Response> => fetch(`${sink.url}/_sink/${p}`, init);
    const gone = JSON.stringify({ status: 410, times: 5 });
    const evil = { 'content-type': 'text/plain;charset=UTF-8', origin: 'http://evil.example' };
    expect((await admin('respond-next', { method: 'POST', headers: evil, body: gone })).status).toBe(403);
    expect((await admin('respond-next', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: gone })).status).toBe(415);
    expect((await admin('faults', { method: 'POST', headers: evil, body: JSON.stringify({ share: 1, kinds: ['500'] }) })).status).toBe(403);
    expect((await send(sink, { id: 's' })).status).toBe(200);
    expect((await admin('respond-next', { method: 'POST', headers: { 'content-type': 'application/json', origin: sink.url }, body: gone })).status).toBe(200);
    expect((await send(sink, { id: 't' })).status).toBe(410);
  });

  it('rejects waitFor after its timeout with the count it reached', async () => {
    await expect(sink.waitFor(1, 20)).rejects.toThrow('expected 1 deliveries within 20 ms, got 0');
  });
});
