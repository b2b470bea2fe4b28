import http from 'node:http';
import { signature } from '../../src/sandbox/dc-sim';
import { dcEnv, inProcessBridge, projectRepositories, until, WEBHOOK_SECRET, type DcEnv } from './helpers';

// The webhook port faces whatever can reach it, before any signature is checked: a body it will refuse
// must be refused at once, not read to its end first.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'webhook-security', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false })));
afterAll(() => env.stop());

const LIMIT = 5 * 1024 * 1024;

/** Sends the headers (and `first` bytes of body) and resolves with the answer, leaving the request unfinished. */
function answerBeforeBodyEnds(url: string, headers: Record<string, string | number>, first?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/webhooks/bitbucket`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        req.destroy();
      });
    });
    // The server may close the connection while we still hold the body back: that is the point.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    req.flushHeaders();
    if (first) req.write(first);
  });
}

describe('webhook body limits', () => {
  it('answers 413 from a Content-Length over the limit, without waiting for the body', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/declared.db` }));
    try {
      const answer = await answerBeforeBodyEnds(running.ops.url, { 'Content-Length': LIMIT + 1 });
      expect(answer.status).toBe(413);
      expect(answer.body).toContain('over 5242880 bytes');
    } finally {
      await running.stop();
    }
  });

  it('answers 413 as soon as a body without a length passes the limit, without reading the rest', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/chunked.db` }));
    try {
      const answer = await answerBeforeBodyEnds(running.ops.url, { 'Transfer-Encoding': 'chunked' }, Buffer.alloc(LIMIT + 1, 0x20));
      expect(answer.status).toBe(413);
    } finally {
      await running.stop();
    }
  });
});

describe('webhook replay', () => {
  it('does not act again on a signed body it has already taken (a captured webhook sent a second time)', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/replay.db` }));
    const repo = projectRepositories(env.sim)[0]!;
    const repository = `${repo.projectKey}/${repo.slug}`;
    const post = async (event: { eventKey: string; body: unknown }) => {
      const body = JSON.stringify(event.body);
      const response = await fetch(`${running.ops.url}/webhooks/bitbucket`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Event-Key': event.eventKey, 'X-Hub-Signature': signature(WEBHOOK_SECRET, body) }, body });
      await until(() => running.bridge.store.count('dc:inbox:') === 0, 30_000, 'the saved webhooks to be handled');
      await running.bridge.queue.idle();
      return response;
    };
    const deletions = () => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).repository.id === repo.id && (d.body as any).changes.some((c: any) => c.ref.displayId === 'replayed' && c.type === 'DELETE'));
    try {
      await running.runPass();
      await running.bridge.queue.idle();
      for (const event of env.sim.actions.createBranch({ repository, name: 'replayed' }).events) await post(event);
      const [deleted] = env.sim.actions.deleteBranch({ repository, name: 'replayed' }).events;
      expect((await post(deleted!)).status).toBe(202);
      // The branch comes back and moves on: the deletion webhook is history now.
      for (const event of env.sim.actions.createBranch({ repository, name: 'replayed' }).events) await post(event);
      for (const event of env.sim.actions.pushCommits({ repository, branch: 'replayed', commits: 1 }).events) await post(event);
      expect(deletions()).toHaveLength(1);

      // Without a memory of what it took, the bridge sent PanDev a deletion of a branch that exists.
      const replay = await post(deleted!);
      expect(deletions()).toHaveLength(1);
      expect(replay.status).toBe(200);
      expect(((await replay.json()) as { message: string }).message).toContain('received before');
    } finally {
      await running.stop();
    }
  });
});

describe('a webhook dated before the replay memory', () => {
  it('is ignored with its age and the reason, not taken as new: a copy older than 30 days would pass the memory of digests', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/old-webhook.db` }));
    const repo = projectRepositories(env.sim)[0]!;
    const repository = `${repo.projectKey}/${repo.slug}`;
    const post = (eventKey: string, body: string) =>
      fetch(`${running.ops.url}/webhooks/bitbucket`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Event-Key': eventKey, 'X-Hub-Signature': signature(WEBHOOK_SECRET, body) }, body });
    const deletions = () => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).repository.id === repo.id && (d.body as any).changes.some((c: any) => c.ref.displayId === 'kept-copy' && c.type === 'DELETE'));
    try {
      await running.runPass();
      await running.bridge.queue.idle();
      env.sim.actions.createBranch({ repository, name: 'kept-copy' });
      const [deleted] = env.sim.actions.deleteBranch({ repository, name: 'kept-copy' }).events;
      env.sim.actions.createBranch({ repository, name: 'kept-copy' });
      // Data Center's form of date: an offset without a colon.
      const dated = (daysAgo: number) => JSON.stringify({ ...(deleted!.body as object), date: new Date(Date.now() - daysAgo * 86_400_000).toISOString().replace('Z', '+0000') });
      const old = await post(deleted!.eventKey, dated(31));
      expect(old.status).toBe(200);
      expect(((await old.json()) as { message: string }).message).toMatch(/^ignored: sent 31 days ago \(its date\), older than the 30 days webhooks are remembered against replays/);
      expect(running.bridge.store.count('dc:inbox:')).toBe(0);
      // Within the memory, a body is taken (and its digest remembered).
      expect((await post(deleted!.eventKey, dated(28))).status).toBe(202);
      await until(() => running.bridge.store.count('dc:inbox:') === 0, 30_000, 'the saved webhook to be handled');
      await running.bridge.queue.idle();
      expect(deletions()).toHaveLength(1);
    } finally {
      await running.stop();
    }
  });
});

/**
 * A webhook request whose headers the bridge has taken (it answered `Expect: 100-continue`, which Node
 * does as it hands the request over) and whose body is still to come: `ended` says how it ended.
 */
async function heldWebhook(url: string, contentLength: number) {
  const req = http.request(`${url}/webhooks/bitbucket`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': contentLength, Expect: '100-continue', 'X-Hub-Signature': 'sha256=00' } });
  const ended = new Promise<number | 'closed'>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('close', () => resolve('closed'));
    req.on('error', () => resolve('closed'));
  });
  req.flushHeaders();
  await new Promise<void>((resolve) => req.once('continue', resolve));
  return { req, ended };
}

/** Waits until the bridge has received `bytes` of bodies not yet complete (its own gauge says so). */
async function receivingBytes(url: string, bytes: number): Promise<void> {
  for (;;) {
    const text = await (await fetch(`${url}/metrics`)).text();
    if (Number(/^pandev_bridge_webhook_receiving_bytes (\d+)$/m.exec(text)?.[1]) >= bytes) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('webhook clients that do not finish', () => {
  it('refuses a webhook while bodies still arriving, unverified, hold the most the bridge buffers at once', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/budget.db` }));
    let held: Array<Awaited<ReturnType<typeof heldWebhook>>> = [];
    const post = () => fetch(`${running.ops.url}/webhooks/bitbucket`, { method: 'POST', headers: { 'X-Hub-Signature': 'sha256=00' }, body: JSON.stringify({ eventKey: 'repo:refs_changed', padding: 'x'.repeat(100) }) });
    try {
      // Declared at the size limit, nothing sent yet: no memory held, so no webhook is held up.
      held = await Promise.all(Array.from({ length: 4 }, () => heldWebhook(running.ops.url, LIMIT)));
      expect((await post()).status).toBe(401);
      // Sent all but their last byte: anyone who reaches the port can do this, many times over.
      for (const { req } of held) req.write(Buffer.alloc(LIMIT - 1, 0x20));
      await receivingBytes(running.ops.url, 4 * (LIMIT - 1));
      const refused = await post();
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: string }).error).toMatch(/webhook bodies/);
      // Finished, they are answered (their signature is wrong) and their bytes no longer count.
      for (const { req } of held) req.end(' ');
      expect(await Promise.all(held.map((h) => h.ended))).toEqual([401, 401, 401, 401]);
      expect((await post()).status).toBe(401);
    } finally {
      for (const { req } of held) req.destroy();
      await running.stop();
    }
  });

  it('stops although a client holds a webhook request open with its body unfinished', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/held.db` }));
    const held = await heldWebhook(running.ops.url, 1000);
    held.req.write('{"eventKey"');
    // Node would wait for the body up to its five-minute request timeout, past any service manager's grace.
    await running.stop();
    expect(await held.ended).toBe('closed');
  });
});

describe('webhook refusals in the log', () => {
  it('logs a forged webhook in one short line, whatever X-Event-Key it carries', async () => {
    const lines: string[] = [];
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/forged-log.db` }), lines);
    try {
      const eventKey = `repo:refs_changed${'x'.repeat(16_000)}`;
      const res = await fetch(`${running.ops.url}/webhooks/bitbucket`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Event-Key': eventKey, 'X-Hub-Signature': 'sha256=00' }, body: '{}' });
      expect(res.status).toBe(401);
      const refused = lines.filter((line) => line.includes('webhook refused'));
      expect(refused).toHaveLength(1);
      expect(refused[0]!.length).toBeLessThan(1000);
    } finally {
      await running.stop();
    }
  });

  it('logs a body over the size limit, refused before it is read', async () => {
    const lines: string[] = [];
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/oversize-log.db` }), lines);
    try {
      expect((await answerBeforeBodyEnds(running.ops.url, { 'Content-Length': LIMIT + 1, 'X-Event-Key': 'repo:refs_changed' })).status).toBe(413);
      const refused = lines.map((line) => JSON.parse(line) as { msg: string; status?: number; eventKey?: string }).filter((l) => l.msg.startsWith('webhook refused'));
      expect(refused.map((l) => [l.status, l.eventKey])).toEqual([[413, 'repo:refs_changed']]);
    } finally {
      await running.stop();
    }
  });
});
