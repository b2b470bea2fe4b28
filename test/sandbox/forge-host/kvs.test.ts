import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestHost, type TestHost } from './helpers';

const resolve = (t: TestHost, name: string, payload: unknown = {}): Promise<unknown> =>
  t.host.invokeResolver('resolver-fn', name, payload, { accountId: 'acc-1' });

describe('local Forge host: storage through @forge/kvs', () => {
  let t: TestHost;
  beforeEach(async () => {
    t = await startTestHost();
  });
  afterEach(() => t.host.stop());

  it('expires a value after its ttl', async () => {
    await resolve(t, 'set', { key: 'ttl:a', value: { n: 1 }, ttlSeconds: 1 });
    expect(await resolve(t, 'get', { key: 'ttl:a' })).toEqual({ value: { n: 1 } });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await resolve(t, 'get', { key: 'ttl:a' })).toEqual({ value: null });
    expect(t.host.kvs.keys('ttl:')).toEqual([]);
  });

  it('refuses a ttl past the documented maximum of one year', async () => {
    const day = 24 * 3600;
    await resolve(t, 'set', { key: 'ttl:year', value: 1, ttlSeconds: 365 * day });
    expect(await resolve(t, 'get', { key: 'ttl:year' })).toEqual({ value: 1 });
    await expect(resolve(t, 'set', { key: 'ttl:long', value: 1, ttlSeconds: 400 * day })).rejects.toMatchObject({ code: 'INVALID_TTL' });
    expect(t.host.kvs.keys('ttl:')).toEqual(['ttl:year']);
  });

  it('pages a beginsWith query in key order with a cursor, at most 20 a page', async () => {
    for (let i = 24; i >= 0; i -= 1) await t.host.kvs.set(`page:${String(i).padStart(2, '0')}`, i);
    await t.host.kvs.set('other:1', 'x');
    const keys: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = (await resolve(t, 'page', { prefix: 'page:', limit: 10, cursor })) as { results: Array<{ key: string }>; nextCursor?: string };
      keys.push(...page.results.map((r) => r.key));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(keys).toEqual(Array.from({ length: 25 }, (_, i) => `page:${String(i).padStart(2, '0')}`));
    const big = (await resolve(t, 'page', { prefix: 'page:', limit: 50 })) as { results: unknown[] };
    expect(big.results).toHaveLength(20);
  });

  it('keeps secrets apart from values and queries', async () => {
    expect(await resolve(t, 'secret', { key: 'secret:token', value: 's3cret' })).toEqual({ secret: 's3cret', plain: null, listed: 0 });
    expect(await t.host.kvs.getSecret('secret:token')).toBe('s3cret');
  });

  it('refuses an invalid key and an oversized value with the service error codes', async () => {
    await expect(resolve(t, 'set', { key: 'bad/key', value: 1 })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(resolve(t, 'set', { key: 'big', value: 'x'.repeat(250 * 1024) })).rejects.toMatchObject({ code: 'MAX_SIZE' });
    await expect(resolve(t, 'set', { key: 'k'.repeat(501), value: 1 })).rejects.toMatchObject({ code: 'KEY_TOO_LONG' });
  });

  it('answers batch operations per key and applies a transaction', async () => {
    const result = (await resolve(t, 'batch')) as Record<string, unknown>;
    expect(result.set).toEqual({
      successfulKeys: [{ key: 'batch:a' }],
      failedKeys: [{ key: 'bad/key', error: expect.objectContaining({ code: 'INVALID_KEY' }) }],
    });
    expect(result.got).toMatchObject({ successfulKeys: [{ key: 'batch:a', value: 1 }], failedKeys: [{ key: 'batch:missing' }] });
    expect(result.after).toEqual({ a: 'A', batchA: null });
  });

  it('counts each storage request the SDK makes, by kind and by key segment, refused ones too, and the reads of what an invocation had', async () => {
    await t.host.kvs.set('page:01', 1); // from outside the app: not metered
    await resolve(t, 'set', { key: 'ttl:a', value: 1 });
    await resolve(t, 'get', { key: 'ttl:missing' });
    await resolve(t, 'page', { prefix: 'page:', limit: 10 });
    await resolve(t, 'secret', { key: 'pandev-token', value: 's' });
    await resolve(t, 'batch');
    await expect(resolve(t, 'set', { key: 'bad/key', value: 1 })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    expect(t.host.storageStats()).toEqual({
      // set: ttl:a, setSecret, bad/key; get: ttl:missing, getSecret, get of the secret's key, tx:a, batch:a;
      // query: page:, the secret's key; batch: batchSet, batchGet.
      calls: { get: 5, set: 3, delete: 0, query: 2, batch: 2, transaction: 1 },
      keys: {
        'ttl:': { set: 1, get: 1 },
        'page:': { query: 1 },
        'secret pandev-token': { set: 1, get: 1 },
        'pandev-token': { query: 1, get: 1 },
        'batch:': { batch: 3, transaction: 1, get: 1 },
        'bad/key': { batch: 1, set: 1 },
        'tx:': { transaction: 2, get: 1 },
      },
      // Within one invocation: the secret read back after its write, batch:a read after its batch write
      // and after the transaction deleted it, tx:a after the transaction wrote it. Across invocations, none.
      rereads: { 'secret pandev-token': 1, 'batch:': 2, 'tx:': 1 },
    });
    t.host.resetStorageStats();
    expect(t.host.storageStats().calls).toEqual({ get: 0, set: 0, delete: 0, query: 0, batch: 0, transaction: 0 });
  });
});

describe('local Forge host: persistence', () => {
  it('keeps values, secrets and pending delayed events across a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'forge-host-'));
    const storePath = path.join(dir, 'state.json');
    try {
      const first = await startTestHost({ storePath });
      await first.host.kvs.setSecret('pandev:token', 'tok');
      await resolve(first, 'set', { key: 'ttl:kept', value: 1, ttlSeconds: 3600 });
      await first.host.fireEvent({ eventType: 'avi:bitbucket:push:repository', repository: { uuid: '{r9}' }, delayInSeconds: 900 });
      expect(first.host.queueStats().pending).toBe(1);
      await first.host.stop();
      // It holds the installation's secrets: readable by its owner only, as the bridge's state is.
      expect(statSync(storePath).mode & 0o777).toBe(0o600);
      const saved = JSON.parse(readFileSync(storePath, 'utf8')) as { kvs: Record<string, Record<string, { expireTime?: number }>> };
      expect(saved.kvs.values?.['ttl:kept']?.expireTime).toBeGreaterThan(Date.now());

      const second = await startTestHost({ storePath });
      try {
        expect(await second.host.kvs.get('push:r9')).toMatchObject({ eventType: 'avi:bitbucket:push:repository' });
        expect(await second.host.kvs.getSecret('pandev:token')).toBe('tok');
        expect(await resolve(second, 'get', { key: 'ttl:kept' })).toEqual({ value: 1 });
        expect(second.host.queueStats().pending).toBe(1);
        await second.host.idle();
        expect(await second.host.kvs.get('flaky:done')).toBe(true);
        expect(second.lines.some((l) => l.message.startsWith('resumed 1 pending async event'))).toBe(true);
      } finally {
        await second.host.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
