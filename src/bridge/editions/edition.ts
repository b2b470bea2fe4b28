import type { BodyBuilder } from '../../core/pipeline/context';
import type { BridgeContext } from '../context';
import type { SqliteStore } from '../state/sqlite-store';
import type { KeyedLock } from '../util/keyed-lock';

// An edition is what differs between polling Data Center and polling Cloud: which repositories there
// are, what one pass over one of them does, how a delivery without a body gets one, and (Data Center
// only) what a webhook becomes. Everything else, from the outbox on, is the same core.

export interface PollOutcome {
  ok: boolean;
  staged: number;
  /** Pull requests set aside this pass, with why. */
  skipped: Array<{ id: number; reason: string }>;
  error?: string;
  /**
   * Bitbucket refused the token itself (401: expired, revoked, replaced): every other repository would
   * be refused too, so the pass stops here. No repository's failure; the cursor stays.
   */
  refused?: boolean;
  /** Cut short by the bridge stopping: no failure (the cursor stays, the next start reads on). */
  stopped?: boolean;
  /**
   * Cloud: read but for the feeds the token may not read (its scopes; `error` names them). No failure
   * of the repository: the rest was delivered, and the refused feeds stay owed until the scope is given.
   */
  partial?: boolean;
  /** Data Center: the repository's first pass (its backfill), whose changes no webhook was due to bring. */
  firstPass?: boolean;
}

export interface PollTarget {
  /** Stable key (repository id or UUID): the per-repository lock and the metric label use it. */
  key: string;
  /** PROJECT/slug or workspace/slug, for people. */
  name: string;
  poll(): Promise<PollOutcome>;
}

export interface WebhookResult {
  status: number;
  message: string;
  /** Work that continues after the answer (staging and delivering); tracked for graceful shutdown. */
  background?: Promise<unknown>;
}

export interface Edition {
  name: 'datacenter' | 'cloud';
  /** The repositories to poll; listed again when `refresh` (every few minutes) or first asked. */
  targets(refresh: boolean): Promise<PollTarget[]>;
  /** After every repository of a pass: instance-wide work (Data Center: watched build statuses); answers deliveries staged. */
  finishPass?(targets: PollTarget[]): Promise<number>;
  webhook?(headers: Record<string, string | undefined>, raw: Buffer): Promise<WebhookResult>;
  /** At start and after each pass: handles webhooks saved before a stop or a crash, or whose Bitbucket reads failed. */
  resume?(): Promise<void>;
}

/** Built from the configuration before the bridge's context exists (which needs the body builder). */
export interface EditionSetup {
  bodyBuilder(store: SqliteStore): BodyBuilder;
  attach(bridge: BridgeContext, lock: KeyedLock): Edition;
  /** Ends Bitbucket reads: requests in flight are aborted and the running poll stops at its next one. */
  stop(): void;
  close(): void;
}
