import type { Change } from '../change/change';
import type { DeliveryIntent } from '../change/intents';
import type { RateBudget } from '../budget/rate-budget';
import type { DeliveryFixIt } from '../deliver/attempt';
import type { DeliveryStats } from '../deliver/stats';
import type { CommentTask, EntryOutcome } from './deliver-entries';
import type { Clock, HttpSend, KeyValueStore, Logger, SecretStore } from '../ports';

/**
 * Builds the exact JSON body of one delivery; Cloud and Data Center each bring their own. `log` hears
 * what Bitbucket answered that the body goes without (a commit author's account PanDev cannot read).
 */
export type BodyBuilder = (change: Change, intent: DeliveryIntent, log?: Logger) => Promise<string>;

/**
 * Completes a change before its delivery ids are made and its state kept, from a read its bodies need
 * anyway, and gives the builder that reuses that read; undefined when the change lacks nothing.
 * Cloud: enrich/cloud/change-preparer.ts.
 */
export type ChangePreparer = (change: Change) => Promise<{ change: Change; buildBody: BodyBuilder } | undefined>;

/** Everything a forwarding step needs, supplied by the host (Forge app, bridge, tests). */
export interface ForwardContext {
  store: KeyValueStore;
  secrets: SecretStore;
  clock: Clock;
  log: Logger;
  send: HttpSend;
  buildBody: BodyBuilder;
  /** For the changes a source hands over thin (the Forge trigger's); none: staged as the source gave them. */
  prepareChange?: ChangePreparer;
  userAgent: string;
  /** Counts outcomes per hour for the status page; flushed once per invocation. */
  stats: DeliveryStats;
  /** The Bitbucket request budget shared by every path; flushed once per invocation. */
  budget: RateBudget;
  random?: () => number;
  /** Where a refused delivery's reason tells the admin to fix it (the bridge: its variables); the app's settings otherwise. */
  fixIt?: DeliveryFixIt;
  /**
   * Keeps what PanDev answered a batch for a status that cannot afford to read the outbox (the Forge
   * settings page: deliver/failing.ts). The bridge's `status` reads its outbox in SQLite, so it has none.
   */
  noteAnswers?: (store: KeyValueStore, now: number, outcomes: Record<string, EntryOutcome>) => Promise<void>;
  /**
   * Takes what the pull-request comment should do after a batch's deliveries (a merge, a production
   * deployment), before the ledger records them; throwing leaves them to be delivered again. The Forge
   * consumer queues comment jobs; a host without comments (the bridge) has none.
   */
  queueComments?: (tasks: CommentTask[]) => Promise<void>;
}
