import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { signature, type DcSimulator } from '../../../src/sandbox/dc-sim';
import { call, firstRepository, repoPath, repoRef, startSim, type Json } from './helpers';

interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: Json;
}

/** A loopback receiver that keeps the raw bytes of every POST (signatures are over exact bytes). */
async function receiver(status = 200): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      received.push({ headers: req.headers, raw, body: JSON.parse(raw.toString('utf8')) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const hmac = (secret: string, raw: Buffer) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

describe('native webhooks', () => {
  let sim: DcSimulator;
  let hook: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => {
    sim = await startSim();
    hook = await receiver();
  });
  afterAll(async () => {
    await sim.stop();
    await hook.close();
  });

  it('POSTs each event with X-Event-Key, a UUID X-Request-Id, Data Center\'s User-Agent and an HMAC-SHA256 signature of the body', async () => {
    const secret = 'It\'s a s3cret – with ünïcode';
    const id = sim.webhooks.register(hook.url, secret);
    const repo = firstRepository(sim);
    const opened = sim.actions.openPullRequest({ repository: repoRef(repo), title: 'Ünïcode title ✓' });
    await sim.webhooks.idle();
    expect(hook.received.map((r) => r.headers['x-event-key'])).toEqual(['repo:refs_changed', 'pr:opened']);
    for (const { headers, raw } of hook.received) {
      expect(headers['content-type']).toBe('application/json; charset=utf-8');
      expect(headers['user-agent']).toBe('Atlassian HttpClient 4.2.0 / Bitbucket-9.4.0 (9004000) / Default');
      expect(headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(headers['x-hub-signature']).toBe(hmac(secret, raw));
      expect(headers['x-hub-signature']).not.toBe(hmac('another secret', raw));
    }
    const body = hook.received[1]!.body;
    expect(body).toEqual(opened.events[1]!.body);
    expect(body).toMatchObject({ eventKey: 'pr:opened', actor: { type: 'NORMAL' }, pullRequest: { id: opened.pullRequestId, title: 'Ünïcode title ✓', state: 'OPEN' } });
    // What the webhook says is what the REST API then answers.
    const rest = await call(sim, `${repoPath(repo)}/pull-requests/${opened.pullRequestId}`);
    expect({ ...rest.json, properties: undefined }).toEqual({ ...body.pullRequest, properties: undefined });
    expect(sim.webhooks.deliveries().map((d) => [d.eventKey, d.status])).toEqual([['repo:refs_changed', 200], ['pr:opened', 200]]);
    sim.webhooks.remove(id);
  });

  it('sends only the subscribed events, unsigned without a secret, and nothing after removal', async () => {
    hook.received.length = 0;
    const id = sim.webhooks.register(hook.url, '', ['pr:comment:added', 'pr:merged']);
    const repo = repoRef(firstRepository(sim));
    const { pullRequestId } = sim.actions.openPullRequest({ repository: repo });
    sim.actions.addComment({ repository: repo, pullRequestId, text: 'LGTM' });
    sim.actions.mergePullRequest({ repository: repo, pullRequestId });
    await sim.webhooks.idle();
    expect(hook.received.map((r) => r.headers['x-event-key'])).toEqual(['pr:comment:added', 'pr:merged']);
    expect(hook.received[0]!.headers['x-hub-signature']).toBeUndefined();
    sim.webhooks.remove(id);
    sim.actions.pushCommits({ repository: repo });
    await sim.webhooks.idle();
    expect(hook.received).toHaveLength(2);
  });

  it('keeps going when a receiver fails or is unreachable, recording what happened', async () => {
    const failing = await receiver(500);
    try {
      const a = sim.webhooks.register(failing.url, 'x');
      const b = sim.webhooks.register('http://127.0.0.1:9/unreachable', 'x');
      sim.actions.pushCommits({ repository: repoRef(firstRepository(sim)) });
      await sim.webhooks.idle();
      const recent = sim.webhooks.deliveries().slice(-2);
      expect(recent.find((d) => d.webhookId === a)?.status).toBe(500);
      expect(recent.find((d) => d.webhookId === b)).toMatchObject({ status: null, error: expect.any(String) });
      sim.webhooks.remove(a);
      sim.webhooks.remove(b);
    } finally {
      await failing.close();
    }
  });

  it('answers to the newer needs-work name, and sends "Test connection" pings', async () => {
    hook.received.length = 0;
    const id = sim.webhooks.register(hook.url, 'secret', ['pr:reviewer:changes_requested']);
    const repo = repoRef(firstRepository(sim));
    const { pullRequestId } = sim.actions.openPullRequest({ repository: repo, author: 'admin' });
    sim.actions.needsWork({ repository: repo, pullRequestId });
    sim.webhooks.ping(id);
    await sim.webhooks.idle();
    expect(hook.received.map((r) => r.headers['x-event-key'])).toEqual(['pr:reviewer:needs_work', 'diagnostics:ping']);
    expect(hook.received[0]!.body).toMatchObject({ participant: { status: 'NEEDS_WORK' }, previousStatus: 'UNAPPROVED' });
    expect(hook.received[1]!.raw.toString()).toBe('{"test":true}');
    expect(hook.received[1]!.headers['x-hub-signature']).toBe(hmac('secret', hook.received[1]!.raw));
    sim.webhooks.remove(id);
  });

  it('refuses a webhook URL that is not http(s)', () => {
    expect(() => sim.webhooks.register('ftp://example.com/', 's')).toThrow(/not an http/);
  });
});

describe('the signing scheme matches real Data Center deliveries', () => {
  const fixture = path.resolve(__dirname, '../../../../shared/fixtures/drone-go-scm/scm/driver/stash/testdata/webhooks/push.json');

  it('re-computes the drone/go-scm push vector over the fixture bytes', () => {
    if (!existsSync(fixture)) return console.warn(`skipped: ${fixture} is absent (needs ../shared/fixtures)`);
    const raw = readFileSync(fixture);
    expect(raw.length).toBe(928);
    expect(signature('71295b197fa25f4356d2fb9965df3f2379d903d7', raw)).toBe('sha256=c90565fa018f3039414a7929c9187a147f1ac463076961c4cf411e3c67c541f8');
  });
});
