import { z } from 'zod';
import type { BackfillView } from './repositories';

// The Status part of the settings page: is data flowing, and if not, what needs an admin.

export type ConnectionState = 'connected' | 'needs-attention' | 'disconnected';

/**
 * Why the pipeline left an event out on purpose, as `droppedBy`, the logs and the bridge's
 * `status --json` name it; the page says each in words. Counts kept from an older version may hold
 * codes no longer made, so `droppedBy` stays keyed by any string.
 */
export type DropReason =
  | 'self-generated'
  | 'not-activated'
  | 'paused-too-long'
  | 'repository-not-selected'
  | 'invalid-event'
  | 'reviewer-unchanged'
  | 'reviewer-cleared-prior-unknown'
  | 'covered-by-reconciliation'
  | 'own-comment'
  | 'source-gone'
  | 'malformed-in-bitbucket'
  | 'beyond-read-limit';

export interface DeliveryCounts {
  delivered: number;
  /** Attempts that failed and were tried again: one delivery may count several times. */
  retried: number;
  /** Times a delivery became a dead letter, a replayed one that failed again as well. */
  dead: number;
  dropped: number;
  droppedBy: Record<string, number>;
}

/**
 * Something the status tells beside its reasons: `warning` when something could not be found out just
 * now (passing trouble), `info` when all is as it should be but worth knowing (an empty workspace).
 */
export const StatusNote = z.object({ severity: z.enum(['info', 'warning']), text: z.string() });
export type StatusNote = z.infer<typeof StatusNote>;

export interface BackfillRow extends BackfillView {
  repository: string;
  name: string;
}

export interface StatusView {
  state: ConnectionState;
  /** Why the state is not `connected`, each an instruction. */
  reasons: string[];
  /** Left out when the repository list could not be read and no earlier copy is kept (see `notes`). */
  selectedRepositories?: number;
  repositories?: number;
  /** What the status could not find out just now and why, or what is worth knowing; never a reason for attention. */
  notes: StatusNote[];
  /** The newest successful delivery or reconciliation pass. */
  lastSync?: { at: number; source: 'delivery' | 'reconciliation' };
  /** Deliveries of the last 24 hours by outcome. */
  deliveries: DeliveryCounts;
  deadLetters: { count: number; more: boolean };
  /** How soon the page asks again: later while a status call is costly (thousands of backfill records). */
  refreshSeconds: number;
  backfill: {
    repositories: number;
    finished: number;
    done: number;
    total?: number;
    /** The longest remaining estimate among running jobs. */
    etaSeconds?: number;
    /** Unfinished and failed jobs, and finished ones that left something out, most recently updated first (at most 20). */
    active: BackfillRow[];
  };
}
