import { ForgeKvsAPIError, kvs, WhereConditions } from '@forge/kvs';
import type { KeyValueStore, SecretStore } from '../../core/ports';

/**
 * Forge keeps a value at most a year (storage-reference/kvs-api, "Maximum TTL"): a longer ttl would
 * fail the write. The core's longest keeping (a ref's tip) is renewed well inside a year.
 */
const MAX_TTL_SECONDS = 365 * 24 * 3600;

const ttl = (seconds: number) => ({ ttl: { value: Math.min(MAX_TTL_SECONDS, Math.ceil(seconds)), unit: 'SECONDS' as const } });

/** The core's key-value port over Forge's KVS (`storage:app`). */
export const forgeStore: KeyValueStore = {
  get: <T>(key: string) => kvs.get<T>(key),
  set: (key, value, options) => kvs.set(key, value, options?.ttlSeconds ? ttl(options.ttlSeconds) : undefined),
  delete: (key) => kvs.delete(key),
  async setIfAbsent(key, value, options) {
    try {
      await kvs.set(key, value, { ...(options?.ttlSeconds ? ttl(options.ttlSeconds) : {}), keyPolicy: 'FAIL_IF_EXISTS' });
      return true;
    } catch (error) {
      // Forge answers 409 to a key that exists; its code's name is not documented, so the status decides.
      if (error instanceof ForgeKvsAPIError && error.responseDetails.status === 409) return false;
      throw error;
    }
  },
  async list<T>(prefix: string, options: { limit?: number; cursor?: string } = {}) {
    let query = kvs.query().where('key', WhereConditions.beginsWith(prefix)).limit(options.limit ?? 100);
    if (options.cursor) query = query.cursor(options.cursor);
    const page = await query.getMany<T>();
    return { entries: page.results.map(({ key, value }) => ({ key, value })), ...(page.nextCursor ? { cursor: page.nextCursor } : {}) };
  },
};

/** Secrets through `kvs.setSecret`: encrypted at rest and never listed by queries. */
export const forgeSecrets: SecretStore = {
  get: (key) => kvs.getSecret<string>(key),
  set: (key, value) => kvs.setSecret(key, value),
  delete: (key) => kvs.deleteSecret(key),
};
