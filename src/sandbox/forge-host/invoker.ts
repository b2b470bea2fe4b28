import { randomUUID } from 'node:crypto';
import { runInInvocation, type FetchMeta, type Invocation } from './globals';
import type { AppManifest, ManifestFunction } from './manifest';
import type { OriginHolds } from './queue';
import { buildRuntime, type RuntimeBase } from './runtime';
import type { HostLogLine } from './types';

// Runs one function of the app as Forge would: the manifest names the handler, the invocation gets
// its own runtime (module key, invocation id, deadline), and its console lines are attributed to it.
// Each invocation belongs to an origin (push-limits.ts): a consumer to its event's, any other
// invocation (trigger, resolver, scheduled trigger) is an origin of its own.

export interface InvocationSpec {
  functionKey: string;
  moduleKey: string;
  moduleType: string;
  accountId?: string;
  /** The initial invocation this one descends from (a consumer's: its event's); absent, it is one itself. */
  origin?: string;
}

/** Who is calling the platform: the user, and the origin its queue pushes count against. */
export interface Caller {
  accountId: string | undefined;
  origin: string;
  invocationId: string;
}

export interface InvokerDeps {
  app: Record<string, unknown>;
  manifest: AppManifest;
  runtimeBase: RuntimeBase;
  forgeFetch(meta: FetchMeta, path: string, init: RequestInit | undefined, caller: Caller): Promise<Response>;
  checkEgress(url: URL): Promise<void>;
  log(line: Omit<HostLogLine, 'time'>): void;
  /** Called after every invocation, successful or not. */
  onSettled(invocationId: string): void;
  /** An invocation holds its origin while it runs: it may still push for it. */
  origins: OriginHolds;
  /**
   * Multiplies every function's time limit and stops a function at it, as Forge does: past its limit
   * an invocation's platform calls (storage, product API, queue, egress) are refused and it fails with
   * FUNCTION_TIME_OUT. Absent: the real limits, and a function past its limit is only reported.
   */
  functionTimeoutScale?: number;
}

/** What a function stopped at its time limit meets on its next platform call, and how its invocation ends. */
export class FunctionTimeoutError extends Error {
  readonly retryReason = 'FUNCTION_TIME_OUT';
}

type Handler = (...args: unknown[]) => unknown;

// https://developer.atlassian.com/platform/forge/limits-invocation: consumers and scheduled triggers 55 s, the rest 25 s.
const LONG_RUNNING = new Set(['core:consumer', 'core:scheduledTrigger']);

/** The handler function, or why there is none. */
export function resolveHandler(app: Record<string, unknown>, fn: ManifestFunction): Handler | string {
  if (fn.file !== 'index') return `function '${fn.key}' lives in '${fn.file}', but the local Forge host loads only the app's index module`;
  const handler = app[fn.exportName];
  return typeof handler === 'function' ? (handler as Handler) : `function '${fn.key}': index exports no function '${fn.exportName}'`;
}

export class Invoker {
  private active = 0;

  constructor(private readonly deps: InvokerDeps) {}

  get running(): number {
    return this.active;
  }

  async invoke(spec: InvocationSpec, args: unknown[]): Promise<unknown> {
    const invocationId = randomUUID();
    const origin = spec.origin ?? invocationId;
    this.active += 1;
    this.deps.origins.hold(origin);
    try {
      return await this.run(spec, args, invocationId, origin);
    } finally {
      this.deps.origins.release(origin);
      this.active -= 1;
      this.deps.onSettled(invocationId);
    }
  }

  private async run(spec: InvocationSpec, args: unknown[], invocationId: string, origin: string): Promise<unknown> {
    const fn = this.deps.manifest.functions.get(spec.functionKey);
    if (!fn) throw new Error(`manifest.yml has no function '${spec.functionKey}' (module '${spec.moduleKey}')`);
    const handler = resolveHandler(this.deps.app, fn);
    if (typeof handler === 'string') throw new Error(handler);

    const where = { functionKey: spec.functionKey, moduleKey: spec.moduleKey, invocationId };
    const scale = this.deps.functionTimeoutScale;
    const limitMs = (fn.timeoutSeconds ?? (LONG_RUNNING.has(spec.moduleType) ? 55 : 25)) * 1000 * (scale ?? 1);
    const limit = `${limitMs / 1000} s`;
    const deadline = Date.now() + limitMs;
    let stopped = false;
    const timedOut = () => new FunctionTimeoutError(`${spec.moduleKey} was stopped at its ${limit} timeout (FUNCTION_TIME_OUT)`);
    const invocation: Invocation = {
      ...where,
      accountId: spec.accountId,
      runtime: buildRuntime(this.deps.runtimeBase, { ...where, moduleType: spec.moduleType, deadline, accountId: spec.accountId }),
      forgeFetch: (meta, path, init) => (stopped ? Promise.reject(timedOut()) : this.deps.forgeFetch(meta, path, init, { accountId: spec.accountId, origin, invocationId })),
      checkEgress: async (url) => {
        if (stopped) throw timedOut();
        await this.deps.checkEgress(url);
      },
      log: (level, message) => this.deps.log({ source: 'app', level, message, ...where }),
    };
    // Forge stops the function at its timeout. JavaScript cannot be stopped from outside, so a stopped
    // function reaches nothing any more; with real limits the host only says so, so a slow test still ends.
    const overdue = setTimeout(() => {
      stopped = scale !== undefined;
      const message = `${spec.moduleKey} ran past its ${limit} timeout: ${stopped ? 'stopped' : 'Forge would have stopped it'} (FUNCTION_TIME_OUT)`;
      this.deps.log({ source: 'host', level: 'warn', message, ...where });
    }, limitMs).unref();
    try {
      const result = await runInInvocation(invocation, async () => handler(...args));
      if (stopped) throw timedOut();
      return result;
    } catch (error) {
      throw stopped ? timedOut() : error;
    } finally {
      clearTimeout(overdue);
    }
  }
}
