// The few ports through which the core reaches the world. Each host (the Forge app, the bridge, the
// tests' local Forge host) implements them with its own platform; the core never imports a platform.

/** A pino-compatible structured logger: `log.warn({ meta }, 'static message')`. */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The part of a fetch `Response` (or a Forge `APIResponse`) the core reads. */
export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface HttpRequestInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** `manual`: a 3xx comes back as it is. Following it would turn the signed POST into a body-less GET. */
  redirect?: 'manual';
}

/** Outbound HTTP to PanDev (Forge: egress-checked `fetch`; bridge: Node `fetch`). */
export type HttpSend = (url: string, init: HttpRequestInit) => Promise<HttpResponse>;

export interface KeyValueEntry<T> {
  key: string;
  value: T;
}

export interface KeyValueStore {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, options?: { ttlSeconds?: number }): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Writes only when `key` holds nothing: false when it does. Two writers at once, one winner (Forge:
   * keyPolicy FAIL_IF_EXISTS). A store that serves one writer at a time may leave it out.
   */
  setIfAbsent?(key: string, value: unknown, options?: { ttlSeconds?: number }): Promise<boolean>;
  /** Keys beginning with `prefix`, in key order, a page at a time. */
  list<T>(prefix: string, options?: { limit?: number; cursor?: string }): Promise<{ entries: KeyValueEntry<T>[]; cursor?: string }>;
}

/** Write-only from the browser's point of view: values never leave the backend. */
export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Every entry under `prefix`, page by page, in key order. */
export async function* allEntries<T>(store: KeyValueStore, prefix: string, pageSize = 100): AsyncGenerator<KeyValueEntry<T>> {
  let cursor: string | undefined;
  do {
    const page = await store.list<T>(prefix, { cursor, limit: pageSize });
    yield* page.entries;
    cursor = page.cursor;
  } while (cursor);
}
