import { RateBudget } from '../core/budget/rate-budget';
import { secretKeys, settingsStore } from '../core/config/settings';
import type { DeliveryFixIt } from '../core/deliver/attempt';
import { outboxStore, prefixes } from '../core/deliver/outbox';
import type { BodyBuilder, ForwardContext } from '../core/pipeline/context';
import { systemClock, type Clock, type Logger, type SecretStore } from '../core/ports';
import type { BridgeConfig } from './config/schema';
import { rotatingSecret, type RotatingSecret } from './config/secret-file';
import { localQueue, type LocalQueue } from './delivery/local-queue';
import type { WaitingClock } from './http/hourly-budget';
import { sleep } from './http/limiter';
import { httpClient } from './http/request';
import type { BridgeLogger } from './ops/logger';
import { within } from './util/within';
import { bridgeMetrics, MeteredStats, type BridgeMetrics } from './ops/metrics';
import { openSqliteStore, type SqliteStore } from './state/sqlite-store';
import { VERSION } from '../version';

// The core's ports, as the bridge implements them: SQLite for state, memory for the secrets the
// configuration brought (they are never written to the database), Node HTTP toward PanDev, pino.

export const USER_AGENT = `pandev-bitbucket/${VERSION} (bridge)`;

// Files are read again before each batch of deliveries; a variable needs a restart.
const PANDEV_FIX_IT: DeliveryFixIt = {
  token: 'PANDEV_TOKEN or PANDEV_TOKEN_FILE (YAML: pandev.tokenFile)',
  secret: 'PANDEV_SIGNING_SECRET or PANDEV_SIGNING_SECRET_FILE (YAML: pandev.signingSecretFile)',
  url: 'PANDEV_URL (YAML: pandev.url) and restart the bridge',
  resume: 'the bridge uses another one (a file is read again before each batch; a variable needs a restart) and PanDev takes it, or `pandev-bitbucket check` passes',
};

export interface BridgeContext {
  config: BridgeConfig;
  store: SqliteStore;
  log: BridgeLogger;
  metrics: BridgeMetrics;
  ctx: ForwardContext;
  /** ctx.clock, and waits in its time (Cloud's hourly budget waits with it). */
  clock: WaitingClock;
  queue: LocalQueue;
  close(): Promise<void>;
}

export interface OpenOptions {
  log: BridgeLogger;
  /** The edition's body builder, given the metrics its HTTP stack counts into and the store. */
  buildBody: (store: SqliteStore, metrics: BridgeMetrics) => BodyBuilder;
  /** Tests pass one whose `sleep` moves it on, shared with the simulator's rate-limit window. */
  clock?: Clock & { sleep?: WaitingClock['sleep'] };
  /** Compresses the queue's delays (tests); 1 in production. */
  timeScale?: number;
  deliveryConcurrency?: number;
  /** Deliveries a poll may leave waiting before it waits for PanDev (tests make it small); 2,000 by default. */
  queueRoom?: number;
  /**
   * Opened beside the state's owner (a one-off command such as `dead-letters replay`): the stored
   * PanDev URL and retry tuning are the running bridge's, and another configuration must not change them.
   */
  beside?: boolean;
}

/**
 * PanDev's token and signing secret. Given as files, they are read again each time deliveries read
 * them (once per batch): a rotated secret is in use from the next batch on, so a delivery is not
 * dead-lettered with a 401 for a token that was already replaced.
 */
export function configSecrets(config: BridgeConfig, log?: Logger): SecretStore {
  const files = new Map<string, RotatingSecret>([
    [secretKeys.token, rotatingSecret(config.pandev.token, config.pandev.tokenFile, 'the PanDev ingest token', { log, inHeader: true })],
    [secretKeys.signingSecret, rotatingSecret(config.pandev.signingSecret, config.pandev.signingSecretFile, 'the PanDev signing secret', { log })],
  ]);
  // What the core set or deleted (nothing in the bridge does today) wins over the configuration.
  const overridden = new Map<string, string | undefined>();
  return {
    get: async (key) => {
      if (overridden.has(key)) return overridden.get(key);
      const secret = files.get(key);
      secret?.reread();
      return secret?.value;
    },
    set: async (key, value) => void overridden.set(key, value),
    delete: async (key) => void overridden.set(key, undefined),
  };
}

export async function openBridge(config: BridgeConfig, options: OpenOptions): Promise<BridgeContext> {
  const clock = options.clock ?? systemClock;
  const store = openSqliteStore(config.bridge.db, clock);
  const secrets = configSecrets(config, options.log);
  const metrics = bridgeMetrics({
    outbox: () => store.count(prefixes.outbox),
    dead: () => store.count(prefixes.dead),
    paused: async () => (await settingsStore(store, secrets).connection())?.disabled !== undefined,
  });
  const pandev = httpClient({ timeoutMs: 60_000, maxSockets: 16, ...(config.pandev.caFile ? { caFile: config.pandev.caFile } : {}) });
  const ctx: ForwardContext = {
    store,
    secrets,
    clock,
    log: options.log,
    send: pandev.send,
    buildBody: options.buildBody(store, metrics),
    userAgent: USER_AGENT,
    stats: new MeteredStats(store, clock, metrics.deliveries),
    // Cloud: the credential's rolling hour, which every request asks first (http/hourly-budget.ts).
    // Data Center: bookkeeping only, its token bucket is paced by the bridge's limiter (http/limiter.ts).
    budget: new RateBudget(store, clock, { limitPerHour: async () => (config.bitbucket.edition === 'cloud' ? config.bitbucket.requestsPerHour : 1_000_000) }),
    // The bridge has no settings page: a dead letter's reason names the variable to change.
    fixIt: PANDEV_FIX_IT,
  };
  await connect(config, ctx, options.beside === true);
  const queue = localQueue(ctx, { concurrency: options.deliveryConcurrency ?? 8, ...(options.timeScale ? { timeScale: options.timeScale } : {}), ...(options.queueRoom ? { room: options.queueRoom } : {}) });
  return {
    config,
    store,
    log: options.log,
    metrics,
    ctx,
    clock: { now: () => clock.now(), sleep: options.clock?.sleep ?? sleep },
    queue,
    async close() {
      await queue.close();
      // An attempt still waiting for PanDev (its timeout can be longer than the grace) ends now and is
      // recorded as one; closed under it, the state file would refuse that write and the forward's own.
      pandev.close();
      await within(queue.idle(), 5_000); // bounded all the same: the stop must end before SIGKILL
      store.close();
      options.log.flush();
    },
  };
}

/** Saves what the core reads as "the connection": PanDev's URL and the retry tuning from the config. */
async function connect(config: BridgeConfig, ctx: ForwardContext, beside: boolean): Promise<void> {
  const settings = settingsStore(ctx.store, ctx.secrets);
  const existing = await settings.connection();
  if (beside && existing) return;
  const baseUrl = config.pandev.url;
  // A 410 pauses deliveries until someone acts; a new PanDev URL is that act (so is `check`).
  const disabled = existing?.baseUrl === baseUrl ? existing.disabled : undefined;
  await settings.saveConnection({ baseUrl, activatedAt: existing?.activatedAt ?? ctx.clock.now(), ...(disabled ? { disabled } : {}) });
  await settings.saveTuning(config.tuning);
}

/**
 * Every outbox entry, queued again: what a killed process left behind goes on from where it was. What
 * is due goes now; an entry waiting out a retry (its backoff, or PanDev's Retry-After) goes at its
 * planned time still, or a service manager restarting a failing bridge in a loop would send PanDev at
 * once, again and again, what it asked to have later.
 */
export async function resumeOutbox(bridge: Pick<BridgeContext, 'ctx' | 'queue'>): Promise<{ due: number; planned: number }> {
  const outbox = outboxStore(bridge.ctx.store);
  const now = bridge.ctx.clock.now();
  const later: Array<{ id: string; afterSeconds: number }> = [];
  let cursor: string | undefined;
  let due = 0;
  do {
    const page = await outbox.list(cursor, 50);
    const ids: string[] = [];
    for (const { value } of page.entries) {
      const at = Math.max(value.nextAttemptAt, value.notBefore ?? 0);
      if (at <= now) ids.push(value.id);
      else later.push({ id: value.id, afterSeconds: (at - now) / 1000 });
    }
    if (ids.length) await bridge.queue.push([{ ids }]);
    due += ids.length;
    cursor = page.cursor;
  } while (cursor);
  bridge.queue.plan(later);
  return { due, planned: later.length };
}
