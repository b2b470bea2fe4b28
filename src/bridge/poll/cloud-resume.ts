import { z } from 'zod';
import { ActivityBacklog } from '../../core/reconcile/activity-backlog';

// A Cloud repository's pass a stop (or a crash) cut short. A first pass over a busy repository reads
// hundreds of pages (each moved branch costs its commits and its tip's statuses), and the pass hands
// what it finds to the outbox as it goes: the pull-request news once read, then each ref. This record
// says what it had handed over, so the next start takes the pass up there instead of reading the
// repository again from its watermark. It holds no Bitbucket page link (which could go stale or shift
// as refs are added and deleted): the refs it delivered are told by the tips staging recorded for them
// (core/pipeline/ref-state.ts), the refs listing being read again (one request per hundred refs).
// Kept in the repository's cursor (editions/cloud.ts) and dropped when the pass completes.

export const InterruptedPass = z.object({
  /** The watermark it read from: moved since (a wider `backfill --days`), the pass starts over. */
  from: z.number(),
  /** BRIDGE_BACKFILL_DAYS it ran with: changed before a first pass completed, that pass starts over in the new window. */
  days: z.number(),
  /** Its start: the watermark it leaves; refs whose tips were recorded since were delivered by it. */
  startedAt: z.number(),
  /** The workspace query it was planned with, and what that said of this repository. */
  queriedAt: z.number(),
  changeAt: z.number().optional(),
  pushed: z.boolean(),
  deployments: z.boolean(),
  /** It staged something: the repository counts as active from its start. */
  found: z.boolean(),
  /** Its pull-request news is staged; what that read leaves for the pass after this one. */
  pullRequests: z.object({ activityBacklog: ActivityBacklog.optional(), activitySeen: z.array(z.string()) }).optional(),
});
export type InterruptedPass = z.infer<typeof InterruptedPass>;

/** What of a cursor decides whether its interrupted pass can be taken up. */
interface Resumable {
  watermark: number;
  lastSuccessAt?: number | undefined;
  pass?: InterruptedPass | undefined;
}

/**
 * The cursor this pass starts from, and the interrupted pass it takes up, if any. A changed window
 * drops that pass: what it delivered is recognised again by its delivery ids, and only re-read.
 */
export function takeUp<C extends Resumable>(cursor: C, days: number, now: number): { cursor: C; resume?: InterruptedPass } {
  const { pass, ...rest } = cursor;
  if (!pass) return { cursor };
  if (cursor.lastSuccessAt === undefined && pass.days !== days) return { cursor: { ...rest, watermark: now - days * 86_400_000 } as C };
  if (pass.from !== cursor.watermark) return { cursor: rest as C };
  return { cursor, resume: pass };
}
