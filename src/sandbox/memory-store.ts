import type { Clock, KeyValueStore } from '../core/ports';

/**
 * The core's key-value port in memory, with TTLs and ordered prefix listing: for benchmarks and unit
 * tests of core pieces that do not need a whole local Forge host.
 */
export class MemoryStore implements KeyValueStore {
  private readonly values = new Map<string, { value: unknown; expires?: number }>();

  constructor(private readonly clock: Clock = { now: () => Date.now() }) {}

  async get<T>(key: string): Promise<T | undefined> {
    const hit = this.values.get(key);
    if (!hit) return undefined;
    if (hit.expires !== undefined && hit.expires <= this.clock.now()) {
      this.values.delete(key);
      return undefined;
    }
    return structuredClone(hit.value) as T;
  }

  async set(key: string, value: unknown, options?: { ttlSeconds?: number }): Promise<void> {
    this.values.set(key, { value: structuredClone(value), ...(options?.ttlSeconds ? { expires: this.clock.now() + options.ttlSeconds * 1000 } : {}) });
  }

  /** Checked and written in one turn of the event loop, as Forge's write is one request. */
  async setIfAbsent(key: string, value: unknown, options?: { ttlSeconds?: number }): Promise<boolean> {
    const hit = this.values.get(key);
    if (hit && !(hit.expires !== undefined && hit.expires <= this.clock.now())) return false;
    this.values.set(key, { value: structuredClone(value), ...(options?.ttlSeconds ? { expires: this.clock.now() + options.ttlSeconds * 1000 } : {}) });
    return true;
  }

  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }

  async list<T>(prefix: string, options: { limit?: number; cursor?: string } = {}) {
    const now = this.clock.now();
    const keys = [...this.values.keys()].filter((k) => k.startsWith(prefix) && (!options.cursor || k > options.cursor) && !((this.values.get(k)!.expires ?? Infinity) <= now)).sort();
    const page = keys.slice(0, options.limit ?? 100);
    return { entries: page.map((key) => ({ key, value: structuredClone(this.values.get(key)!.value) as T })), ...(keys.length > page.length ? { cursor: page[page.length - 1] } : {}) };
  }

  get size(): number {
    return this.values.size;
  }
}
