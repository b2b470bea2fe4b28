import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { attemptDelivery, type AttemptRequest } from '../../src/core/deliver/attempt';
import { verify } from '../../src/core/deliver/sign';
import { retryDelaySeconds, defaultRetryTuning } from '../../src/core/deliver/retry-policy';

// A real loopback server answering what each test asks for; the attempt goes over real HTTP.
let server: Server;
let url: string;
let answer: (res: import('node:http').ServerResponse) => void = (res) => res.end();
const seen: Array<{ headers: import('node:http').IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/bitbucket/webhook/merge-request`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => (seen.length = 0));

const request = (overrides: Partial<AttemptRequest> = {}): AttemptRequest => ({
  url, id: '6f1c2b8e-0000-5000-8000-000000000001', eventKey: 'pullrequest:created', edition: 'cloud', origin: 'trigger',
  attempt: 3, body: '{"pullrequest":{"id":1}}', token: 'tok-secret-value', secret: 'sig-secret-value', userAgent: 'pandev-bitbucket/test', timeoutMs: 500, ...overrides,
});

const reply = (status: number, headers: Record<string, string> = {}, body = '') => (answer = (res) => res.writeHead(status, headers).end(body));

describe('one delivery attempt', () => {
  it('sends every header of the contract and signs the exact body', async () => {
    reply(202);
    await expect(attemptDelivery(request(), fetch)).resolves.toEqual({ kind: 'delivered', status: 202 });
    const { headers, body } = seen[0]!;
    expect(headers).toMatchObject({
      'x-event-key': 'pullrequest:created', 'x-request-uuid': '6f1c2b8e-0000-5000-8000-000000000001', 'x-attempt-number': '3',
      authorization: 'Bearer tok-secret-value', 'user-agent': 'pandev-bitbucket/test', 'content-type': 'application/json',
      'x-pandev-edition': 'cloud', 'x-pandev-origin': 'trigger',
    });
    expect(verify('sig-secret-value', body, headers['x-hub-signature'] as string)).toBe(true);
  });

  it('pauses, not delivers, when a 2xx answer is a web page: the URL is PanDev\'s web app or a sign-in page', async () => {
    reply(200, { 'Content-Type': 'text/html' }, '<!DOCTYPE html><html><head><title>PanDev Metrics - Sign in</title></head><body></body></html>');
    expect(await attemptDelivery(request(), fetch)).toMatchObject({ kind: 'disabled', status: 200, reason: expect.stringMatching(/web page \("PanDev Metrics - Sign in"\).*paused/) });
    // An empty answer or JSON is the ingest API's, whatever the content type says.
    reply(200, { 'Content-Type': 'text/html' });
    expect(await attemptDelivery(request(), fetch)).toEqual({ kind: 'delivered', status: 200 });
    reply(202, { 'Content-Type': 'application/json' }, '{"accepted":true}');
    expect(await attemptDelivery(request(), fetch)).toEqual({ kind: 'delivered', status: 202 });
    // A page whose title echoes the request (a gateway's "Bearer … not accepted") keeps no secret.
    reply(200, { 'Content-Type': 'text/html' }, '<html><head><title>Bearer tok-secret-value not accepted</title></head></html>');
    const paused = await attemptDelivery(request(), fetch);
    expect(paused).toMatchObject({ kind: 'disabled', reason: expect.stringContaining('Bearer [redacted] not accepted') });
  });

  it('never keeps the token or the signing secret from an answer that echoes them', async () => {
    // A proxy's error page may echo the request's headers; the reason is logged, stored and shown.
    answer = (res) => res.writeHead(401).end(`denied ${seen.at(-1)!.headers.authorization} sig=${'sig-secret-value'}`);
    const refused = await attemptDelivery(request(), fetch);
    answer = (res) => res.writeHead(502).end(`upstream said: ${seen.at(-1)!.headers.authorization}`);
    const failed = await attemptDelivery(request(), fetch);
    for (const outcome of [refused, failed]) {
      const reason = 'reason' in outcome ? outcome.reason : '';
      expect(reason).toMatch(/\[redacted\]/);
      expect(reason).not.toMatch(/tok-secret-value|sig-secret-value/);
    }
  });

  it('never keeps the token from an error raised before the request left', async () => {
    // Node's fetch refuses a header value with a control character and quotes the whole value.
    const outcome = await attemptDelivery(request({ token: 'tok-secret\u0000-value' }), fetch);
    expect(outcome).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/\[redacted\]/) });
    expect('reason' in outcome ? outcome.reason : '').not.toContain('tok-secret');
  });

  it.each([408, 429, 500, 502, 503])('retries after %i', async (status) => {
    reply(status);
    expect((await attemptDelivery(request(), fetch)).kind).toBe('retry');
  });

  it('honours Retry-After in seconds and as an HTTP date', async () => {
    reply(429, { 'Retry-After': '42' });
    expect(await attemptDelivery(request(), fetch)).toMatchObject({ kind: 'retry', retryAfterSeconds: 42 });
    reply(503, { 'Retry-After': new Date(Date.now() + 90_000).toUTCString() });
    const outcome = await attemptDelivery(request(), fetch);
    expect(outcome.kind === 'retry' && outcome.retryAfterSeconds).toBeGreaterThanOrEqual(88);
  });

  it('treats other 4xx as permanent, with a fix-it reason', async () => {
    reply(400, {}, 'bad payload');
    expect(await attemptDelivery(request(), fetch)).toEqual({
      kind: 'permanent',
      status: 400,
      reason: 'PanDev rejected the delivery (400): bad payload: PanDev could not take this body; keep this dead letter and report it to PanDev support with its delivery id 6f1c2b8e-0000-5000-8000-000000000001 and event key pullrequest:created; replay it once PanDev is fixed',
      // PanDev's own words apart, for the connection check's text (a test delivery is no dead letter).
      answer: 'bad payload',
    });
    reply(404);
    expect(await attemptDelivery(request(), fetch)).toMatchObject({ kind: 'permanent', reason: expect.stringMatching(/bare host/) });
  });

  it('does not follow a redirect: the signed POST is not replayed as a GET elsewhere', async () => {
    answer = (res) => res.writeHead(301, { Location: url.replace('merge-request', 'moved') }).end();
    const outcome = await attemptDelivery(request(), fetch);
    expect(outcome).toMatchObject({ kind: 'permanent', status: 301, reason: expect.stringMatching(/final https URL/) });
    expect(seen).toHaveLength(1);
  });

  it('pauses on a refused token or signature, which refuses every delivery alike, and says which setting to change', async () => {
    const bridge = { token: 'PANDEV_TOKEN or PANDEV_TOKEN_FILE', secret: 'PANDEV_SIGNING_SECRET or PANDEV_SIGNING_SECRET_FILE', url: 'PANDEV_URL', resume: '`pandev-bitbucket check` passes' };
    reply(401);
    expect(await attemptDelivery(request(), fetch)).toMatchObject({ kind: 'disabled', cause: 'token', status: 401, reason: expect.stringMatching(/refused the ingest token \(401\): the token is wrong, expired or revoked; create a new one in PanDev and save it in the app's settings; deliveries are paused and kept in the outbox until Check connection passes in the settings/) });
    reply(401, {}, 'signature mismatch');
    expect(await attemptDelivery(request({ fixIt: bridge }), fetch)).toMatchObject({ kind: 'disabled', cause: 'signature', reason: expect.stringMatching(/refused the signature \(401\): signature mismatch: the signing secret saved in PANDEV_SIGNING_SECRET or PANDEV_SIGNING_SECRET_FILE is not the one PanDev has.*until `pandev-bitbucket check` passes/) });
    reply(403, {}, 'invalid signature');
    expect(await attemptDelivery(request(), fetch)).toMatchObject({ kind: 'disabled', cause: 'signature', status: 403 });
    reply(403, {}, 'token revoked');
    expect(await attemptDelivery(request({ fixIt: bridge }), fetch)).toMatchObject({ kind: 'disabled', cause: 'token', reason: expect.stringMatching(/save it in PANDEV_TOKEN or PANDEV_TOKEN_FILE/) });
  });

  it('keeps a 403 that names neither the token nor the signature permanent: PanDev may refuse one payload and take the next', async () => {
    reply(403, {}, 'repository not licensed');
    expect(await attemptDelivery(request(), fetch)).toMatchObject({ kind: 'permanent', status: 403, reason: expect.stringMatching(/^PanDev refused this delivery \(403\): repository not licensed: .*replay/) });
  });

  it('names a web page answering an error by its title, not its HTML: a proxy or firewall before PanDev', async () => {
    reply(403, { 'Content-Type': 'text/html' }, `<!DOCTYPE html><html><head><title>Access denied | example.com used Cloudflare</title></head><body>${'<div>blocked</div>'.repeat(40)}</body></html>`);
    const refused = await attemptDelivery(request(), fetch);
    expect(refused).toMatchObject({ kind: 'permanent', status: 403, reason: expect.stringMatching(/^PanDev refused this delivery \(403\): a web page \("Access denied \| example.com used Cloudflare"\), likely a proxy's or firewall's before PanDev: /) });
    expect(refused.kind === 'permanent' && refused.reason).not.toContain('<');
    reply(502, { 'Content-Type': 'text/html' }, '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center></body></html>');
    expect(await attemptDelivery(request(), fetch)).toMatchObject({ kind: 'retry', reason: 'PanDev answered 502: a web page ("502 Bad Gateway"), likely a proxy\'s or firewall\'s before PanDev' });
  });

  it('says what to change when PanDev, or a proxy before it, refuses the body as too large', async () => {
    reply(413, {}, '<html>413 Request Entity Too Large</html>');
    const body = JSON.stringify({ pullrequest: { description: 'x'.repeat(3000) } });
    expect(await attemptDelivery(request({ body }), fetch)).toMatchObject({
      kind: 'permanent', status: 413, reason: expect.stringMatching(/3 KB .*accept request bodies up to 256 KB.*replay/),
    });
  });

  it('pauses the destination on 410', async () => {
    reply(410);
    expect(await attemptDelivery(request(), fetch)).toMatchObject({ kind: 'disabled', cause: 'gone' });
  });

  it('gives up on an attempt that gets no answer in time, as retryable', async () => {
    answer = () => undefined; // never answers
    const outcome = await attemptDelivery(request({ timeoutMs: 200 }), fetch);
    expect(outcome).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/could not be reached/) });
  });

  it('retries when nothing listens', async () => {
    expect((await attemptDelivery(request({ url: 'http://127.0.0.1:9/none' }), fetch)).kind).toBe('retry');
  });
});

describe('retry delays', () => {
  it('grow exponentially within the jitter band and stop at the cap', () => {
    const low = () => 0;
    const high = () => 0.999999;
    expect(retryDelaySeconds(1, defaultRetryTuning, undefined, low)).toBe(15);
    expect(retryDelaySeconds(1, defaultRetryTuning, undefined, high)).toBe(30);
    expect(retryDelaySeconds(3, defaultRetryTuning, undefined, high)).toBe(120);
    expect(retryDelaySeconds(20, defaultRetryTuning, undefined, high)).toBe(900);
  });

  it('never wait less than Retry-After asks', () => {
    expect(retryDelaySeconds(1, defaultRetryTuning, 600, () => 0)).toBe(600);
  });
});
