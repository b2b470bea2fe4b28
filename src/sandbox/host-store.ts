import type { KeyValueStore, SecretStore } from '../core/ports';
import type { ForgeHost } from './forge-host';

// The core's store ports over the local Forge host's KVS, for what an admin or a test does from the
// outside: connect the app, read the outbox, the ledger and the dead letters.

export function hostStores(host: ForgeHost): { store: KeyValueStore; secrets: SecretStore } {
  const store: KeyValueStore = {
    get: async <T>(key: string) => (await host.kvs.get(key)) as T | undefined,
    set: (key, value) => host.kvs.set(key, value),
    delete: () => Promise.reject(new Error('the sandbox does not delete from outside the app')),
    async list<T>(prefix: string, options: { limit?: number; cursor?: string } = {}) {
      const keys = host.kvs.keys(prefix).sort().filter((key) => !options.cursor || key > options.cursor);
      const page = keys.slice(0, options.limit ?? 100);
      const entries = await Promise.all(page.map(async (key) => ({ key, value: (await host.kvs.get(key)) as T })));
      return { entries, ...(keys.length > page.length ? { cursor: page[page.length - 1] } : {}) };
    },
  };
  const secrets: SecretStore = {
    get: (key) => host.kvs.getSecret(key),
    set: (key, value) => host.kvs.setSecret(key, value),
    delete: () => Promise.reject(new Error('the sandbox does not delete secrets from outside the app')),
  };
  return { store, secrets };
}
