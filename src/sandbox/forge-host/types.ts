import type { AsyncEventLimits, RefusedPushes } from './push-limits';
import type { StorageStats } from './storage-meter';

// The local Forge host's public shapes.

export interface HostLogLine {
  time: string;
  /** 'app': a console.* line the app wrote during an invocation; 'host': a note from the host itself. */
  source: 'app' | 'host';
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  functionKey?: string;
  moduleKey?: string;
  invocationId?: string;
}

/** Something Forge would only show in the developer console: the app is not told. */
export interface PlatformErrorReport {
  kind: 'retries-exhausted' | 'no-consumer' | 'invocation-failed' | 'retry-data-too-big';
  message: string;
  functionKey?: string;
  moduleKey?: string;
  eventId?: string;
  body?: unknown;
}

export interface ForgeHostOptions {
  /** Folder with manifest.yml. */
  appDir: string;
  /** Returns the module that manifest handlers `index.<export>` refer to; called once, after the host's globals are in place. */
  loadApp: () => Record<string, unknown>;
  /** 'fpp' Bitbucket calls are proxied to `${baseUrl}${path}` with `Authorization: Bearer <token>`. */
  bitbucket: { baseUrl: string; appToken: string; userTokens?: Record<string, string> };
  /** installContext = `ari:cloud:bitbucket::workspace/<uuid without braces>`. */
  workspaceUuid: string;
  /** Multiplies queue delays, retryAfter and scheduled intervals (not KVS TTLs, not function timeouts). Default 1. */
  timeScale?: number;
  /**
   * Multiplies every function's time limit (what `getAppContext().invocationRemainingTimeInMillis()`
   * reports) and stops a function at it as Forge does: its platform calls are refused from then on
   * and it fails with FUNCTION_TIME_OUT. Tests use it to run a consumer against a short limit. The
   * app keeps fixed margins (a delivery attempt and 15 s in the consumer), so below about 0.2 its
   * consumer has no time left to work. Default: Forge's own limits, a function past one only reported.
   */
  functionTimeoutScale?: number;
  /** Persists KVS values, secrets and pending queue events to this JSON file. Default: memory only. */
  storePath?: string;
  /** allowLoopback: let the app reach 127.0.0.1/localhost without declaring it (Forge never would). */
  egress?: { allowLoopback?: boolean };
  /** Redeliveries of one async event before it is dropped, to lose one sooner than Forge would. Default: no count (Forge's own). */
  maxRetries?: number;
  /** An async event's retention window, in seconds × timeScale: no retry past it. Default Forge's 24 hours. */
  retentionWindowSeconds?: number;
  /** False: retries carry no `retentionWindow` in their context, as an older platform's (@forge/events 1.x). Default true. */
  reportRetentionWindow?: boolean;
  /** Run the manifest's scheduled triggers on their interval (default true); `runScheduled` works either way. */
  scheduledTriggers?: boolean;
  /** Consumer invocations in flight at once. Default 8. */
  consumerConcurrency?: number;
  /** False: a pushed event's concurrency key holds nothing back (queue.ts says why a test wants that). Default true. */
  honourConcurrencyKeys?: boolean;
  /**
   * Forge's limits on async-event pushes (push-limits.ts), each defaulting to Forge's own: 1,000 push
   * requests per initial invocation and its descendants (then 405, InvocationLimitReachedError), 500
   * events a minute (× timeScale) per installation (then 429, RateLimitError). Tests may lower them.
   */
  asyncEventLimits?: Partial<AsyncEventLimits>;
  /** Ingress port on 127.0.0.1. Default 0 (any free port). */
  port?: number;
  logger?: (line: HostLogLine) => void;
  onPlatformError?: (report: PlatformErrorReport) => void;
}

/** The largest of each the app has made so far, in bytes of JSON: how close it came to Forge's limits. */
export interface LargestSizes {
  /** One push request's events (Forge: 200 KB). */
  pushBytes: number;
  /** One event (Forge: 100 KB for a long-running consumer). */
  eventBytes: number;
  /** One retry's retryData (Forge: 4 KB). */
  retryDataBytes: number;
}

export interface QueueStats {
  pushed: number;
  delivered: number;
  retried: number;
  dropped: number;
  pending: number;
  /** Push requests the platform refused: past the limit per origin (405), past the events per minute (429). */
  refused: RefusedPushes;
  /** The most push requests one origin and its descendants made (Forge refuses past 1,000). */
  peakPushesPerOrigin: number;
  largest: LargestSizes;
}

export interface ForgeHost {
  /** Ingress: POST /events (a Forge product event), POST /resolver/<functionKey> ({call, context, accountId}). */
  url: string;
  installContext: string;
  fireEvent(event: { eventType: string } & Record<string, unknown>): Promise<void>;
  invokeResolver(functionKey: string, name: string, payload: unknown, opts: { accountId: string; extension?: unknown }): Promise<unknown>;
  runScheduled(key?: string): Promise<void>;
  idle(): Promise<void>;
  queueStats(): QueueStats;
  /** Forge does not promise delivery: the next `times` (default 1) async events pushed whose body matches are accepted and never run. */
  loseEvents(match: (body: Record<string, unknown>) => boolean, times?: number): void;
  /** Forge delivers at least once: the next `times` (default 1) async events pushed whose body matches are delivered twice. */
  duplicateEvents(match: (body: Record<string, unknown>) => boolean, times?: number): void;
  /** The next `times` (default 1) storage calls on a key that matches are refused with 429, as past an installation's quota. */
  throttleStorage(match: (key: string) => boolean, times?: number): void;
  /**
   * The next `times` (default 1) push requests holding an event whose body matches are refused as if
   * past a limit (405 or 429): what the installation's other traffic would cause.
   */
  refusePushes(verdict: 'invocation-limit' | 'rate-limit', match: (body: Record<string, unknown>) => boolean, times?: number): void;
  /** The storage calls the app's SDK made since the start or the last reset (the `kvs` below is not counted). */
  storageStats(): StorageStats;
  resetStorageStats(): void;
  kvs: {
    get(key: string): Promise<unknown>;
    set(key: string, value: unknown): Promise<void>;
    getSecret(key: string): Promise<string | undefined>;
    setSecret(key: string, value: string): Promise<void>;
    delete(key: string): Promise<void>;
    keys(prefix?: string): string[];
  };
  stop(): Promise<void>;
}
