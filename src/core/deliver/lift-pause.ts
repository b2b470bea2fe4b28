import { settingsStore, type Connection } from '../config/settings';
import { errorMessage } from '../errors';
import { formatDuration } from '../metrics/render';
import type { ForwardQueue } from '../pipeline/queue';
import { countKept, queueKept, type KeptDeliveries } from '../pipeline/sweep';
import type { Clock, KeyValueStore, Logger, SecretStore } from '../ports';

// PanDev's 410, a web page or a refused token or secret pauses every delivery (attempt.ts). The pause
// ends where PanDev is seen taking what the settings saved now send: the app's Check connection, the
// bridge's `check`, or a delivery made with credentials saved since the refusal (pipeline/pause.ts lets
// only those through). Each of them asks here, so when a pause ends and what follows is said once.

export interface PauseContext {
  store: KeyValueStore;
  secrets: SecretStore;
  clock: Clock;
  log: Logger;
}

/** How what the pause kept goes out now: the Forge queue takes the ids; the bridge's `check`, a process of its own, asks the bridge running beside it to. */
export type SendKept = { queue: ForwardQueue; deadline?: number } | { ask: () => Promise<void> };

/** What PanDev was seen to take. */
export type PanDevTook =
  /** A delivery: what the pause kept is queued again by the next outbox sweep, as any late entry is. */
  | { by: 'delivery' }
  /**
   * A connection check, which counts only when it passed for the settings still saved (a save made
   * while it ran is not what it checked). What the pause kept then goes at once, not at the next sweep.
   */
  | { by: 'check'; passed: boolean; settingsUnchanged: boolean; send: SendKept };

export interface Lifted {
  connection: Connection;
  /** After a check, what the pause kept; absent when it could not be started now (the outbox sweep sends it). */
  kept?: KeptDeliveries;
}

/** Ends the pause on `connection`, if there is one and what PanDev took ends it; undefined otherwise. */
export async function liftPause(ctx: PauseContext, connection: Connection | undefined, took: PanDevTook): Promise<Lifted | undefined> {
  if (!connection?.disabled) return undefined;
  if (took.by === 'check' && !(took.passed && took.settingsUnchanged)) return undefined;
  // Lifted from what is saved now, not from the caller's copy: a URL an admin saved since (a batch reads
  // the connection once, at its start) is not written back over; a pause decided since stands.
  const settings = settingsStore(ctx.store, ctx.secrets);
  const saved = await settings.connection();
  if (saved?.disabled?.at !== connection.disabled.at || saved.baseUrl !== connection.baseUrl) return undefined;
  const { disabled: _lifted, ...rest } = saved;
  await settings.saveConnection(rest);
  if (took.by === 'delivery') {
    ctx.log.info({}, 'deliveries resumed: PanDev took the token or signing secret saved since it refused the last');
    return { connection: rest };
  }
  ctx.log.info({}, 'deliveries resumed after a passing check');
  try {
    return { connection: rest, kept: await sendKept(ctx, took.send) };
  } catch (error) {
    // The pause is lifted all the same: the outbox keeps the entries and its sweep sends them.
    ctx.log.warn({ error: errorMessage(error) }, 'could not start the deliveries the pause kept; the outbox sweep sends them');
    return { connection: rest };
  }
}

async function sendKept(ctx: PauseContext, send: SendKept): Promise<KeptDeliveries> {
  if ('queue' in send) return queueKept(ctx, send.queue, send.deadline);
  // Counted before asking: the running bridge may start sending them (and emptying the outbox) at once.
  const kept = await countKept(ctx);
  await send.ask();
  return kept;
}

/** "1 more waits out a retry planned within 6 min", "2 more wait out retries planned within 12 min" ("more" after some due now); minutes rounded up. */
export function waitingWords(kept: KeptDeliveries, now: number): string {
  const within = kept.lastRetryAt === undefined ? '' : ` planned within ${formatDuration(Math.max(1, Math.ceil((kept.lastRetryAt - now) / 60_000)) * 60)}`;
  const more = kept.due ? ' more' : '';
  return kept.waiting === 1 ? `1${more} waits out a retry${within}` : `${kept.waiting}${more} wait out retries${within}`;
}
