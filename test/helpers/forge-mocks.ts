// The one place where `@forge/*` modules are mocked: only the Forge adapter's own unit tests use it.
// Everything else runs the real SDK through the local Forge host. `route` and `routeFromAbsolute` stay
// real, so the routes the adapter builds are the ones Forge would send.

export interface RecordedCall {
  path: string;
  init?: unknown;
}

export interface ForgeMocks {
  bitbucketCalls: RecordedCall[];
  bitbucketResponse: (call: RecordedCall) => { status: number; body: unknown; headers?: Record<string, string> };
  kv: Map<string, { value: unknown; ttl?: unknown }>;
  secrets: Map<string, string>;
  pushed: Array<{ queue: string; events: unknown[] }>;
  /** How many of the next pushes fail the way Forge's RateLimitError does. */
  failPushes: number;
  /** How many of the next pushes Forge answers 202: all but the last event queued, that one refused. */
  partialPushes: number;
  fetchCalls: Array<{ url: string; init: { headers: Record<string, string>; body: string } }>;
  fetchResponse: () => { status: number; body?: string; headers?: Record<string, string> };
}

export const forgeMocks: ForgeMocks = {
  bitbucketCalls: [],
  bitbucketResponse: () => ({ status: 200, body: {} }),
  kv: new Map(),
  secrets: new Map(),
  pushed: [],
  failPushes: 0,
  partialPushes: 0,
  fetchCalls: [],
  fetchResponse: () => ({ status: 200 }),
};

export function resetForgeMocks(): void {
  forgeMocks.bitbucketCalls.length = 0;
  forgeMocks.kv.clear();
  forgeMocks.secrets.clear();
  forgeMocks.pushed.length = 0;
  forgeMocks.failPushes = 0;
  forgeMocks.partialPushes = 0;
  forgeMocks.fetchCalls.length = 0;
  forgeMocks.bitbucketResponse = () => ({ status: 200, body: {} });
  forgeMocks.fetchResponse = () => ({ status: 200 });
}

function response(status: number, body: string, headers: Record<string, string> = {}) {
  return new Response(status === 204 ? null : body, { status, headers: { 'content-type': 'application/json', ...headers } });
}

jest.mock('@forge/api', () => {
  const actual = jest.requireActual('@forge/api');
  const requestBitbucket = async (route: { value: string }, init?: unknown) => {
    const call = { path: route.value, init };
    forgeMocks.bitbucketCalls.push(call);
    const answer = forgeMocks.bitbucketResponse(call);
    return response(answer.status, JSON.stringify(answer.body), answer.headers);
  };
  const fetch = async (url: string, init: { headers: Record<string, string>; body: string }) => {
    forgeMocks.fetchCalls.push({ url, init });
    const answer = forgeMocks.fetchResponse();
    return response(answer.status, answer.body ?? '', answer.headers);
  };
  const api = { asApp: () => ({ requestBitbucket }), asUser: () => ({ requestBitbucket }), fetch };
  return { __esModule: true, ...actual, default: api, fetch };
});

jest.mock('@forge/kvs', () => {
  const actual = jest.requireActual('@forge/kvs');
  const query = (prefix = '', limit = 100, cursor?: string) => ({
    where: (_: string, condition: { condition: string; values: string[] }) => query(condition.values[0], limit, cursor),
    limit: (n: number) => query(prefix, n, cursor),
    cursor: (c: string) => query(prefix, limit, c),
    getMany: async () => {
      const keys = [...forgeMocks.kv.keys()].filter((k) => k.startsWith(prefix) && (!cursor || k > cursor)).sort();
      const page = keys.slice(0, limit);
      return {
        results: page.map((key) => ({ key, value: forgeMocks.kv.get(key)!.value })),
        ...(keys.length > limit ? { nextCursor: page[page.length - 1] } : {}),
      };
    },
  });
  const kvs = {
    get: async (key: string) => forgeMocks.kv.get(key)?.value,
    set: async (key: string, value: unknown, options?: { ttl?: unknown; keyPolicy?: string }) => {
      // As the local host's KVS answers (the status is Forge's HTTP answer; its code's name is a guess).
      if (options?.keyPolicy === 'FAIL_IF_EXISTS' && forgeMocks.kv.has(key)) {
        throw new actual.ForgeKvsAPIError({ status: 409, statusText: 'Conflict' }, { code: 'KEY_ALREADY_EXISTS', message: `Key ${key} already exists` });
      }
      forgeMocks.kv.set(key, { value, ttl: options?.ttl });
    },
    delete: async (key: string) => void forgeMocks.kv.delete(key),
    query: () => query(),
    getSecret: async (key: string) => forgeMocks.secrets.get(key),
    setSecret: async (key: string, value: string) => void forgeMocks.secrets.set(key, value),
    deleteSecret: async (key: string) => void forgeMocks.secrets.delete(key),
  };
  return { __esModule: true, ...actual, kvs, default: kvs };
});

jest.mock('@forge/events', () => {
  const actual = jest.requireActual('@forge/events');
  class Queue {
    constructor(private readonly params: { key: string }) {}
    async push(events: unknown[]) {
      if (forgeMocks.failPushes > 0) {
        forgeMocks.failPushes--;
        throw new actual.RateLimitError('Too many events pushed in the last minute');
      }
      if (forgeMocks.partialPushes > 0) {
        forgeMocks.partialPushes--;
        const queued = events.slice(0, -1);
        if (queued.length) forgeMocks.pushed.push({ queue: this.params.key, events: queued });
        throw new actual.PartialSuccessError('Failed to process 1 event(s).', { jobId: 'job-partial' }, [{ errorMessage: 'rate limited', event: events.at(-1) }]);
      }
      forgeMocks.pushed.push({ queue: this.params.key, events });
      return { jobId: `job-${forgeMocks.pushed.length}` };
    }
  }
  return { __esModule: true, ...actual, Queue };
});
