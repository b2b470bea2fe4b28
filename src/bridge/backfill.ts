import { settingsStore, type Connection } from '../core/config/settings';
import type { BridgeConfig } from './config/schema';
import { bridgeLogger, type BridgeLogger } from './ops/logger';
import { beginReread, rereadEnded } from './poll/reread';
import { PULL_REQUEST_KEPT_SECONDS, pullRequestToReread } from './poll/state';
import { startBridge, type PassSummary } from './runner';
import { openSqliteStore, type SqliteStore } from './state/sqlite-store';
import { within } from './util/within';

// `pandev-bitbucket backfill`: one pass over every selected repository, then wait until PanDev has
// taken what it found, and exit; for a first import, a cron job, or a wider window than before. A
// wider window is read again in full; what PanDev has already is recognised by its delivery id.

export interface BackfillResult {
  pass: PassSummary;
  delivered: number;
  /** Still in the outbox (waiting on a retry, or not begun because of a stop) when the command ended. */
  pending: number;
  dead: number;
  /** Why PanDev paused deliveries (a 410, a refused token…): what is pending then waits for the fix, not a retry. */
  paused?: NonNullable<Connection['disabled']>;
  /** Stopped by `signal` (SIGTERM, Ctrl-C) before it was done: the next backfill or bridge resumes it. */
  stopped?: true;
}

export async function runBackfill(config: BridgeConfig, options: { days?: number; waitSeconds: number; log?: BridgeLogger; signal?: AbortSignal }): Promise<BackfillResult> {
  const days = options.days ?? config.bridge.backfillDays;
  // Its log on stderr, at the configured level: stdout is the summary an operator pipes or mails, and a
  // long first import's progress (info) is still there for whoever watches it.
  const log = options.log ?? bridgeLogger({ level: config.bridge.logLevel, stderr: true });
  const running = await startBridge({ ...config, bridge: { ...config.bridge, backfillDays: days } }, { manual: true, log, command: 'backfill' });
  const { signal } = options;
  // Halting, not stopping: the pass and the wait below end early, and the state file stays open until
  // the finally closes it, so nothing here writes to a closed file.
  const halt = () => running.halt();
  signal?.addEventListener('abort', halt, { once: true });
  if (signal?.aborted) halt();
  const store = running.bridge.store;
  const before = { dead: store.count('dead:'), delivered: store.count('delivered:') };
  let pass: PassSummary;
  // A signal that comes once the pass and the wait are over cut nothing short.
  let stoppedEarly: boolean;
  try {
    // A re-read stopped part-way resumes: its repositories not yet read again still have their widened cursors.
    if (options.days !== undefined && !signal?.aborted && (await beginReread(store, days, Date.now()))) await widen(store, Date.now() - days * 86_400_000);
    pass = await running.runPass();
    if (options.days !== undefined) await rereadEnded(store, Date.now());
    const stopped = new Promise<void>((resolve) => (signal?.aborted ? resolve() : signal?.addEventListener('abort', () => resolve(), { once: true })));
    await within(Promise.race([running.bridge.queue.idle(options.waitSeconds * 1000), stopped]), options.waitSeconds * 1000);
    stoppedEarly = signal?.aborted === true;
  } finally {
    signal?.removeEventListener('abort', halt);
    await running.stop();
  }
  // Counted after the stop, from the file: the attempts in flight at a stop end (delivered, or recorded
  // as an attempt) only as it closes.
  const after = openSqliteStore(config.bridge.db);
  try {
    const paused = (await settingsStore(after, running.bridge.ctx.secrets).connection())?.disabled;
    return {
      pass,
      delivered: after.count('delivered:') - before.delivered,
      pending: after.count('outbox:'),
      dead: after.count('dead:') - before.dead,
      ...(paused ? { paused } : {}),
      ...(stoppedEarly ? { stopped: true as const } : {}),
    };
  } finally {
    after.close();
  }
}

/** Moves every repository's window start back to `since`, so the next pass reads that far again. */
async function widen(store: SqliteStore, since: number): Promise<void> {
  for (const prefix of ['dc:repo:', 'bridge:cloud:']) {
    let cursor: string | undefined;
    do {
      const page = await store.list<Record<string, unknown>>(prefix, { cursor, limit: 500 });
      for (const { key, value } of page.entries) {
        const watermark = typeof value.watermark === 'number' ? Math.min(value.watermark, since) : since;
        const start = typeof value.since === 'number' ? Math.min(value.since, since) : since;
        // Data Center: `active` makes the next pass read every feed, not the one a quiet pass would.
        await store.set(key, { ...value, watermark, ...(prefix === 'dc:repo:' ? { since: start, active: true } : {}) });
      }
      cursor = page.cursor;
    } while (cursor);
  }
  // A pull request's state says which activities were read; the wider window needs its older ones. What
  // it knows of the pull request stays: without it an edit since the last pass would go unreported.
  let cursor: string | undefined;
  do {
    const page = await store.list('dc:pr:', { cursor, limit: 1000 });
    store.transaction(() =>
      page.entries.forEach(({ key, value }) => {
        const reread = pullRequestToReread(value);
        void (reread ? store.set(key, reread, { ttlSeconds: PULL_REQUEST_KEPT_SECONDS }) : store.delete(key));
      }),
    );
    cursor = page.cursor;
  } while (cursor);
}
