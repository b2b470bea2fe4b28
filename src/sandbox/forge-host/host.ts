import { randomUUID } from 'node:crypto';
import { AppModules } from './app-modules';
import { createEgressCheck } from './egress';
import { acquireGlobals, forgeApiFetchIsChecked } from './globals';
import { startIngress } from './ingress';
import { Invoker, resolveHandler } from './invoker';
import { validateKey, validateValue } from './kvs-rules';
import { createKvsService } from './kvs-service';
import { KvsStore, SECRETS, VALUES } from './kvs-store';
import { INTERVAL_SECONDS, readManifest } from './manifest';
import { createPlatformFetch } from './platform';
import { FORGE_ASYNC_EVENT_LIMITS, PushLimits } from './push-limits';
import { AsyncEventQueue } from './queue';
import { stableUuid, type RuntimeBase } from './runtime';
import { loadSnapshot, StateFile } from './state-file';
import { StorageMeter } from './storage-meter';
import type { ForgeHost, ForgeHostOptions, HostLogLine, PlatformErrorReport } from './types';

// Runs the app's real handlers with the real @forge/* SDK: the host answers the two globals the SDK
// talks to, wires the manifest's modules, and keeps storage and the async-event queue.

const STOP_GRACE_MS = 5000;

function printLine(line: HostLogLine): void {
  const who = line.source === 'host' ? 'forge-host' : `forge ${line.moduleKey ?? ''}`;
  process.stdout.write(`${line.time} [${who}] ${line.level} ${line.message}\n`);
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!done() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
  return done();
}

export async function startForgeHost(options: ForgeHostOptions): Promise<ForgeHost> {
  const manifest = readManifest(options.appDir);
  const workspaceId = options.workspaceUuid.replace(/[{}]/g, '');
  const installContext = `ari:cloud:bitbucket::workspace/${workspaceId}`;
  const timeScale = options.timeScale ?? 1;
  const writeLine = options.logger ?? printLine;
  const log = (line: Omit<HostLogLine, 'time'>): void => writeLine({ time: new Date().toISOString(), ...line });
  const note = (message: string, level: HostLogLine['level'] = 'info'): void => log({ source: 'host', level, message });
  const report = (r: PlatformErrorReport): void => {
    note(`${r.kind}${r.moduleKey ? ` in ${r.moduleKey}` : ''}: ${r.message}`, 'error');
    options.onPlatformError?.(r);
  };

  const saved = loadSnapshot(options.storePath);
  const releaseGlobals = acquireGlobals();
  let app: Record<string, unknown>;
  try {
    app = options.loadApp();
  } catch (error) {
    releaseGlobals();
    throw error;
  }
  for (const fn of manifest.functions.values()) {
    const problem = resolveHandler(app, fn);
    if (typeof problem === 'string') note(`${problem}; invoking it will fail`, 'warn');
  }
  for (const what of manifest.unsupported) note(`${what} is not run by the local Forge host (no 'function')`, 'warn');
  if (options.egress?.allowLoopback) note('egress: loopback addresses are allowed for this sandbox; Forge refuses any host not declared in the manifest');
  if (!(await forgeApiFetchIsChecked())) {
    note('@forge/api was loaded before the host started, so its fetch skips the egress check: load the app through loadApp', 'warn');
  }

  const store = new KvsStore(() => stateFile.scheduleSave());
  const throttled: Array<{ match: (key: string) => boolean; left: number }> = [];
  const storageThrottle = {
    refuses(key: string): boolean {
      const rule = throttled.find((r) => r.left > 0 && r.match(key));
      if (rule) rule.left--;
      return rule !== undefined;
    },
  };
  // The rate limit's minute is scaled with the queue's delays: an app that waits a minute after a 429
  // (Forge's advice) waits a scaled minute here, and must find the window moved on by as much.
  const pushLimits = new PushLimits({ ...FORGE_ASYNC_EVENT_LIMITS, ...options.asyncEventLimits }, 60_000 * timeScale);
  const queue: AsyncEventQueue = new AsyncEventQueue({
    hasConsumer: (name): boolean => modules.hasConsumer(name),
    deliver: (event): Promise<unknown> => modules.deliver(event),
    onDropped: (event, kind, message) => report({ kind, message, eventId: event.eventId, body: event.body }),
    onChange: () => {
      stateFile.scheduleSave();
      checkIdle();
    },
    timeScale,
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    ...(options.retentionWindowSeconds !== undefined ? { retentionWindowSeconds: options.retentionWindowSeconds } : {}),
    ...(options.reportRetentionWindow === false ? { reportRetentionWindow: false } : {}),
    concurrency: options.consumerConcurrency ?? 8,
    ...(options.honourConcurrencyKeys === false ? { honourConcurrencyKeys: false } : {}),
    origins: pushLimits,
  });
  const stateFile = new StateFile(options.storePath, () => ({ version: 1, kvs: store.snapshot(), queue: queue.snapshot() }));
  const runtimeBase: RuntimeBase = {
    appId: manifest.appId,
    installContext,
    workspaceId,
    // Kept across restarts on the same state file; a host without one is a new installation, so a
    // test's host never meets the warm-instance caches of another host in the same process.
    installationId: stableUuid(`installation:${manifest.appId}:${workspaceId}:${options.storePath ?? randomUUID()}`),
    environmentId: stableUuid(`environment:${manifest.appId}`),
    proxyUrl: '',
    permissions: { scopes: manifest.scopes, external: manifest.external },
  };
  const kvsService = createKvsService(store, storageThrottle);
  const storageMeter = new StorageMeter();
  const meteredKvs = (path: string, body: unknown, invocationId: string): Response => {
    storageMeter.count(path, body, invocationId);
    return kvsService(path, body);
  };
  const invoker: Invoker = new Invoker({
    app,
    manifest,
    runtimeBase,
    forgeFetch: createPlatformFetch({ kvs: meteredKvs, queue, pushLimits, bitbucket: options.bitbucket, note: (m) => note(m, 'warn'), longRunning }),
    checkEgress: createEgressCheck(manifest.egress, options.egress?.allowLoopback ?? false),
    log,
    onSettled: (invocationId) => {
      storageMeter.settled(invocationId);
      checkIdle();
    },
    origins: pushLimits,
    ...(options.functionTimeoutScale !== undefined ? { functionTimeoutScale: options.functionTimeoutScale } : {}),
  });
  function longRunning(queueName: string): boolean {
    const consumer = manifest.consumers.find((c) => c.queue === queueName);
    return (manifest.functions.get(consumer?.functionKey ?? '')?.timeoutSeconds ?? 0) > 55;
  }
  const modules: AppModules = new AppModules(manifest, invoker, installContext, report);

  let stopped = false;
  let idleWaiters: Array<() => void> = [];
  function checkIdle(): void {
    if (!stopped && (invoker.running > 0 || queue.pending() > 0)) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  if (saved) {
    store.restore(saved.kvs);
    queue.restore(saved.queue);
    if (saved.queue.length > 0) note(`resumed ${saved.queue.length} pending async event(s) from ${options.storePath ?? ''}`);
  }
  const ingress = await startIngress(
    {
      acceptEvent: (event) => {
        void modules.fireEvent(event);
        return manifest.triggers.filter((t) => t.events.includes(event.eventType)).length;
      },
      invokeResolver: (key, name, payload, opts) => modules.invokeResolver(key, name, payload, opts),
      hasResolver: (key) => manifest.resolvers.some((r) => r.functionKey === key),
    },
    options.port ?? 0,
  ).catch((error: unknown) => {
    queue.stop();
    releaseGlobals();
    throw error;
  });
  runtimeBase.proxyUrl = ingress.url;
  const intervals = (options.scheduledTriggers === false ? [] : manifest.scheduled).map((s) =>
    setInterval(() => void modules.runScheduled(s.key), Math.max(10, INTERVAL_SECONDS[s.interval] * 1000 * timeScale)).unref(),
  );

  const whileRunning = <T>(fn: () => Promise<T>): Promise<T> =>
    stopped ? Promise.reject(new Error('the local Forge host is stopped')) : fn();

  return {
    url: ingress.url,
    installContext,
    fireEvent: (event) => whileRunning(() => modules.fireEvent(event)),
    invokeResolver: (key, name, payload, opts) => whileRunning(() => modules.invokeResolver(key, name, payload, opts)),
    runScheduled: (key) => whileRunning(() => modules.runScheduled(key)),
    idle: () => new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      checkIdle();
    }),
    queueStats: () => ({ ...queue.stats(), refused: pushLimits.refused(), peakPushesPerOrigin: pushLimits.peakPerOrigin() }),
    loseEvents: (match, times) => queue.lose(match, times),
    duplicateEvents: (match, times) => queue.duplicate(match, times),
    throttleStorage: (match, times = 1) => {
      throttled.push({ match, left: times });
    },
    refusePushes: (verdict, match, times) => pushLimits.refuseNext(verdict, match, times),
    storageStats: () => storageMeter.read(),
    resetStorageStats: () => storageMeter.reset(),
    kvs: {
      get: async (key) => store.get(VALUES, key)?.value,
      set: async (key, value) => {
        validateKey(key);
        validateValue(value);
        store.set(VALUES, key, JSON.parse(JSON.stringify(value)));
      },
      getSecret: async (key) => store.get(SECRETS, key)?.value as string | undefined,
      setSecret: async (key, value) => {
        validateKey(key);
        store.set(SECRETS, key, value);
      },
      delete: async (key) => {
        store.delete(VALUES, key);
      },
      keys: (prefix) => store.keys(VALUES, prefix),
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const interval of intervals) clearInterval(interval);
      queue.stop();
      ingress.server.closeAllConnections();
      await new Promise<void>((resolve) => ingress.server.close(() => resolve()));
      // Let running invocations finish their writes; events still running stay pending in the store.
      if (!(await waitUntil(() => invoker.running === 0, STOP_GRACE_MS))) {
        note(`stopped with ${invoker.running} invocation(s) still running; their events stay pending`, 'warn');
      }
      stateFile.close();
      releaseGlobals();
      checkIdle();
    },
  };
}
