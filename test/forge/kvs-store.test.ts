import { forgeMocks, resetForgeMocks } from '../helpers/forge-mocks';
import { forgeStore } from '../../src/forge/adapters/kvs-store';

const DAY = 24 * 3600;

beforeEach(resetForgeMocks);

describe('Forge KVS store', () => {
  it('passes a ttl through in seconds', async () => {
    await forgeStore.set('k:short', 1, { ttlSeconds: 90.2 });
    expect(forgeMocks.kv.get('k:short')).toEqual({ value: 1, ttl: { value: 91, unit: 'SECONDS' } });
  });

  it('keeps a ttl inside the one year Forge supports (storage-reference/kvs-api, "Maximum TTL")', async () => {
    await forgeStore.set('k:long', 1, { ttlSeconds: 400 * DAY });
    expect(forgeMocks.kv.get('k:long')).toEqual({ value: 1, ttl: { value: 365 * DAY, unit: 'SECONDS' } });
  });

  it('writes without a ttl when none is asked for', async () => {
    await forgeStore.set('k:none', 1);
    expect(forgeMocks.kv.get('k:none')).toEqual({ value: 1, ttl: undefined });
  });

  it('writes a key only where none is stored when asked to (keyPolicy FAIL_IF_EXISTS), answering which happened', async () => {
    expect(await forgeStore.setIfAbsent!('k:claim', { by: 'first' }, { ttlSeconds: 60 })).toBe(true);
    expect(await forgeStore.setIfAbsent!('k:claim', { by: 'second' })).toBe(false);
    expect(forgeMocks.kv.get('k:claim')).toEqual({ value: { by: 'first' }, ttl: { value: 60, unit: 'SECONDS' } });
  });

  it('passes on any other storage failure of such a write', async () => {
    const kvs = jest.requireMock<{ kvs: { set: (...args: unknown[]) => Promise<void> } }>('@forge/kvs').kvs;
    const spy = jest.spyOn(kvs, 'set').mockRejectedValueOnce(new Error('storage unavailable'));
    await expect(forgeStore.setIfAbsent!('k:new', 1)).rejects.toThrow('storage unavailable');
    spy.mockRestore();
  });
});
