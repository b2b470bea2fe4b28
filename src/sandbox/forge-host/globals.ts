import { AsyncLocalStorage } from 'node:async_hooks';
import { format } from 'node:util';
import type { HostLogLine } from './types';

// The SDK reaches the platform only through `global.__forge_runtime__` and `global.__forge_fetch__`.
// Both resolve through AsyncLocalStorage, so concurrent invocations each see their own runtime, and
// console.* and fetch are hooked the same way: inside an invocation they belong to that invocation's
// host, outside one they behave as before. Hooks are shared by every host in the process and removed
// when the last one stops.

export interface FetchMeta {
  type: string;
  provider?: string;
  remote?: string;
  accountId?: string;
  contextAri?: string;
}

export interface Invocation {
  runtime: object;
  functionKey: string;
  moduleKey: string;
  invocationId: string;
  accountId?: string;
  forgeFetch(meta: FetchMeta, path: string, init: RequestInit | undefined): Promise<Response>;
  /** Throws the error Forge's egress control would raise for `url`. */
  checkEgress(url: URL): Promise<void>;
  log(level: HostLogLine['level'], message: string): void;
}

const invocations = new AsyncLocalStorage<Invocation>();

export function runInInvocation<T>(invocation: Invocation, fn: () => Promise<T>): Promise<T> {
  return invocations.run(invocation, fn);
}

const CONSOLE_LEVELS = { log: 'info', info: 'info', warn: 'warn', error: 'error', debug: 'debug' } as const;
type ConsoleMethod = keyof typeof CONSOLE_LEVELS;
const PROBE_URL = 'http://forge-host-egress-probe.invalid/';

let users = 0;
let originalFetch: typeof fetch | undefined;
let originalConsole: Partial<Record<ConsoleMethod, (...args: unknown[]) => void>> = {};
let probeSeen = false;

async function egressCheckedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const target = new URL(input instanceof Request ? input.url : String(input));
  if (target.href === PROBE_URL) {
    probeSeen = true;
    return new Response(null, { status: 204 });
  }
  await invocations.getStore()?.checkEgress(target);
  // Kept after release: @forge/api holds on to the fetch it found when it was first loaded.
  return (originalFetch as typeof fetch)(input, init);
}

/** The platform's own outbound calls (the product proxy): never subject to the app's egress rules. */
export function platformFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  return (originalFetch ?? globalThis.fetch)(input, init);
}

function forgeFetch(meta: FetchMeta, path: string, init?: RequestInit): Promise<Response> {
  const invocation = invocations.getStore();
  if (!invocation) return Promise.reject(new Error('Forge runtime not found: the platform was called outside an invocation.'));
  return invocation.forgeFetch(meta, path, init);
}

function install(): void {
  Object.defineProperty(globalThis, '__forge_runtime__', { configurable: true, get: () => invocations.getStore()?.runtime });
  Object.defineProperty(globalThis, '__forge_fetch__', { configurable: true, writable: true, value: forgeFetch });
  if (globalThis.fetch !== egressCheckedFetch) originalFetch = globalThis.fetch;
  globalThis.fetch = egressCheckedFetch;
  originalConsole = {};
  for (const method of Object.keys(CONSOLE_LEVELS) as ConsoleMethod[]) {
    const original = console[method];
    originalConsole[method] = original;
    console[method] = (...args: unknown[]) => {
      const invocation = invocations.getStore();
      if (invocation) invocation.log(CONSOLE_LEVELS[method], format(...args));
      else original.apply(console, args);
    };
  }
}

function uninstall(): void {
  const g = globalThis as Record<string, unknown>;
  delete g.__forge_runtime__;
  delete g.__forge_fetch__;
  if (originalFetch) globalThis.fetch = originalFetch;
  Object.assign(console, originalConsole);
}

/** Installs the hooks for one host; call the returned function once when that host stops. */
export function acquireGlobals(): () => void {
  if (users === 0) install();
  users += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    users -= 1;
    if (users === 0) uninstall();
  };
}

/**
 * True when the `fetch` exported by @forge/api goes through the egress check. It does not when
 * @forge/api was first loaded before any host started: it captures global fetch at load time.
 */
export async function forgeApiFetchIsChecked(): Promise<boolean> {
  probeSeen = false;
  const api = await import('@forge/api');
  await api.fetch(PROBE_URL, { signal: AbortSignal.timeout(500) }).catch(() => undefined);
  return probeSeen;
}
