// Counts the storage calls the SDK makes, as Forge meters them: each is an HTTP request from the
// function to Atlassian's storage, billed and rate-limited per installation whatever it answers
// (a missing key, a refusal), so every request that reaches the service counts.

export const STORAGE_CALL_KINDS = ['get', 'set', 'delete', 'query', 'batch', 'transaction'] as const;
export type StorageCallKind = (typeof STORAGE_CALL_KINDS)[number];

export interface StorageStats {
  /** Requests made, by kind; secrets count with values (`secret get` is a get). */
  calls: Record<StorageCallKind, number>;
  /**
   * Keys touched, by the key's first segment (`outbox:`, `config:`) and kind: a batch of three keys
   * counts three here and one in `calls`. A secret's segment reads `secret <segment>`.
   */
  keys: Record<string, Partial<Record<StorageCallKind, number>>>;
  /**
   * Reads, by key segment, of a key the same invocation had read or written already: an answer it had,
   * paid for again (unless another invocation may have written the key in between, and that matters).
   */
  rereads: Record<string, number>;
}

const ROUTE = /^\/api\/v1\/(?:(secret|entity|batch)\/)?(get|set|delete|query)$/;

/** `outbox:abc` → `outbox:`; a key without a colon is its own segment. */
export function keySegment(key: string): string {
  const colon = key.indexOf(':');
  return colon < 0 ? key : key.slice(0, colon + 1);
}

function keysOf(body: unknown): string[] {
  const items = Array.isArray(body) ? body : [body];
  return items.flatMap((item) => (typeof (item as { key?: unknown } | null)?.key === 'string' ? [(item as { key: string }).key] : []));
}

function transactionKeys(body: unknown): string[] {
  const t = (body ?? {}) as { set?: unknown; delete?: unknown };
  return [...keysOf(Array.isArray(t.set) ? t.set : []), ...keysOf(Array.isArray(t.delete) ? t.delete : [])];
}

function queryPrefix(body: unknown): string {
  const where = (body as { where?: Array<{ values?: unknown[] }> } | null)?.where?.[0];
  return String(where?.values?.[0] ?? '');
}

export class StorageMeter {
  private stats: StorageStats = StorageMeter.empty();
  /** The keys each running invocation has touched; let go when it ends. */
  private touched = new Map<string, Set<string>>();

  private static empty(): StorageStats {
    return { calls: { get: 0, set: 0, delete: 0, query: 0, batch: 0, transaction: 0 }, keys: {}, rereads: {} };
  }

  /** One request to the storage service at `path` (the SDK's `/api/v1/...`) with its parsed body. */
  count(path: string, body: unknown, invocationId: string): void {
    const [, space, op] = ROUTE.exec(path) ?? [];
    const kind: StorageCallKind | undefined = path === '/api/v1/transaction' ? 'transaction' : space === 'batch' ? 'batch' : (op as StorageCallKind | undefined);
    if (!kind) return;
    this.stats.calls[kind] += 1;
    const keys = kind === 'transaction' ? transactionKeys(body) : kind === 'query' ? [queryPrefix(body)] : keysOf(body);
    let touched = this.touched.get(invocationId);
    if (!touched) this.touched.set(invocationId, (touched = new Set()));
    for (const key of keys) {
      const segment = `${space === 'secret' ? 'secret ' : ''}${keySegment(key)}`;
      const row = (this.stats.keys[segment] ??= {});
      row[kind] = (row[kind] ?? 0) + 1;
      if (kind === 'query') continue;
      const named = `${space === 'secret' ? 'secret ' : ''}${key}`;
      const read = op === 'get' && kind !== 'transaction';
      if (read && touched.has(named)) this.stats.rereads[segment] = (this.stats.rereads[segment] ?? 0) + 1;
      touched.add(named);
    }
  }

  settled(invocationId: string): void {
    this.touched.delete(invocationId);
  }

  read(): StorageStats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = StorageMeter.empty();
  }
}
