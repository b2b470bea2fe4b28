// The installation's storage: plain values, secrets and custom entities in separate namespaces (as
// Forge keeps them: a secret is never returned by a query). Expiry is checked on every read.

export const VALUES = 'values';
export const SECRETS = 'secrets';
export const entitySpace = (entityName: string): string => `entity:${entityName}`;

export interface StoredRecord {
  value: unknown;
  createdAt: number;
  updatedAt: number;
  /** Epoch milliseconds. */
  expireTime?: number;
}

export type KvsSnapshot = Record<string, Record<string, StoredRecord>>;

export class KvsStore {
  private spaces = new Map<string, Map<string, StoredRecord>>();

  constructor(private readonly onChange: () => void) {}

  private space(name: string): Map<string, StoredRecord> {
    let space = this.spaces.get(name);
    if (!space) {
      space = new Map();
      this.spaces.set(name, space);
    }
    return space;
  }

  get(space: string, key: string): StoredRecord | undefined {
    const record = this.spaces.get(space)?.get(key);
    if (record?.expireTime !== undefined && record.expireTime <= Date.now()) {
      this.delete(space, key);
      return undefined;
    }
    return record;
  }

  set(space: string, key: string, value: unknown, ttlMs?: number): { previous?: StoredRecord; latest: StoredRecord } {
    const previous = this.get(space, key);
    const now = Date.now();
    const latest: StoredRecord = {
      value,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
      ...(ttlMs === undefined ? {} : { expireTime: now + ttlMs }),
    };
    this.space(space).set(key, latest);
    this.onChange();
    return { previous, latest };
  }

  delete(space: string, key: string): boolean {
    const deleted = this.spaces.get(space)?.delete(key) ?? false;
    if (deleted) this.onChange();
    return deleted;
  }

  /** Live keys beginning with `prefix`, in key order. */
  keys(space: string, prefix = ''): string[] {
    const candidates = [...(this.spaces.get(space)?.keys() ?? [])].filter((k) => k.startsWith(prefix));
    return candidates.filter((k) => this.get(space, k) !== undefined).sort();
  }

  snapshot(): KvsSnapshot {
    const snapshot: KvsSnapshot = {};
    for (const [name, space] of this.spaces) snapshot[name] = Object.fromEntries(space);
    return snapshot;
  }

  restore(snapshot: KvsSnapshot): void {
    for (const [name, records] of Object.entries(snapshot)) this.spaces.set(name, new Map(Object.entries(records)));
  }
}
