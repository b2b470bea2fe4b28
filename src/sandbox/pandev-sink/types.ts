// The receiver's public shapes: what the CLI, the sandbox and the end-to-end tests read back.

export type IngestEndpoint = 'merge-request' | 'repository';
export type FaultKind = '500' | 'timeout' | '429';

export interface SinkOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Shared signing secret: `X-Hub-Signature` must be its HMAC-SHA256 of the raw body. */
  secret: string;
  /** When set, `Authorization: Bearer <token>` is required. */
  token?: string;
  /** Seeds the fault RNG so a fault plan fails the same requests on every run. */
  seed?: number;
  /** Called as each new delivery is stored (the CLI prints it). */
  onDelivery?: (delivery: Delivery) => void;
  /** Called for each refused request. */
  onReject?: (rejection: Rejection) => void;
}

export interface Delivery {
  /** The `X-Request-UUID`: PanDev's deduplication key. */
  id: string;
  eventKey: string;
  endpoint: IngestEndpoint;
  attempt: number;
  /** Request headers, lower-cased names. */
  headers: Record<string, string>;
  body: unknown;
  /** The exact body text the signature covered. */
  raw: string;
  receivedAt: number;
}

export interface FaultPlan {
  /** 0..1: the share of ingest requests to fail. */
  share: number;
  kinds: FaultKind[];
  /** Sent as `Retry-After` with a 429 (default 1). */
  retryAfterSeconds?: number;
  /** How long a 'timeout' holds the request before dropping the connection (default 30 s). */
  holdMs?: number;
}

export interface Rejection {
  reason: string;
  status: number;
  headers: Record<string, string>;
}

export interface SinkStats {
  received: number;
  deliveries: number;
  duplicates: number;
  rejected: number;
  pings: number;
  faults: FaultPlan | null;
  respondNext: { status: number; remaining: number } | null;
}

export interface PanDevSink {
  /** Base URL, e.g. http://127.0.0.1:4321; the app appends /v1/bitbucket/webhook/... */
  url: string;
  /** First accepted copy of each X-Request-UUID, in arrival order. */
  deliveries(): Delivery[];
  /** Every POST that reached an ingest path, failed, faulted and duplicate ones included. */
  received(): number;
  /** Valid requests whose X-Request-UUID was already held (answered 200, not stored twice). */
  duplicates(): number;
  rejected(): Rejection[];
  pings(): number;
  stats(): SinkStats;
  setFaults(plan: FaultPlan | null): void;
  /** Answer the next `times` ingest requests (with `eventKey`: those with that X-Event-Key only) with `status` (and `body`) without storing them. */
  respondNext(status: number, times?: number, body?: string, eventKey?: string): void;
  /** Drops what respondNext scripted and is still pending: requests are answered as PanDev would again. */
  respondNormally(): void;
  /** Resolves when at least `count` deliveries are held; rejects after `timeoutMs` (default 10 s). */
  waitFor(count: number, timeoutMs?: number): Promise<Delivery[]>;
  /** Forgets deliveries, counters and rejections (fault plans stay). */
  clear(): void;
  stop(): Promise<void>;
}
