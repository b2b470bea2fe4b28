import { z } from 'zod';
import { kvKey } from '../keys';
import { allEntries, type KeyValueStore, type Logger } from '../ports';
import { requestBackfill, type BackfillRecord } from './state';

// Backfills asked for that have no record yet. Forge storage takes about 4,000 writes a minute per
// installation (notes/forge.md), and a resolver call has 25 seconds: activating (or selecting all) in a
// workspace of thousands of repositories cannot write a record for each at once. The first ones are
// written in the call; the rest wait here, in rows of a few hundred, and each five-minute tick turns a
// bounded number of them into records. Nothing waits long for it: chains carry ten records at a time.

const Repository = z.object({ uuid: z.string(), name: z.string().optional() });
const PendingRow = z.object({ windowDays: z.number().int(), requestedAt: z.number(), repositories: z.array(Repository) });
type PendingRow = z.infer<typeof PendingRow>;

const PREFIX = 'pending-backfill:';
/** Records written in the call that asks for them; the rest are left to the ticks. */
export const REQUESTED_AT_ONCE = 500;
/** Records one tick writes: a quarter of a minute's storage writes, the tick's own work beside it. */
export const REQUESTED_PER_TICK = 1_000;
/** Repositories per row: a few tens of kilobytes, well inside a value's 240 KiB. */
const ROW_SIZE = 250;

type Repositories = Array<{ uuid: string; name?: string }>;

/** Keeps the requests for later, in the order given (a row's key sorts by when, then by place). */
export async function deferBackfills(store: KeyValueStore, repositories: Repositories, windowDays: number, now: number): Promise<void> {
  for (let i = 0; i < repositories.length; i += ROW_SIZE) {
    const row: PendingRow = { windowDays, requestedAt: now, repositories: repositories.slice(i, i + ROW_SIZE) };
    await store.set(`${PREFIX}${kvKey(String(now).padStart(15, '0'), String(i / ROW_SIZE).padStart(6, '0'))}`, row);
  }
}

/** Repositories still waiting for a record, with when they were asked for (the first ask of each). */
export async function pendingBackfills(store: KeyValueStore): Promise<Map<string, number>> {
  const waiting = new Map<string, number>();
  for await (const { value } of allEntries<unknown>(store, PREFIX)) {
    const row = PendingRow.safeParse(value);
    if (!row.success) continue;
    for (const { uuid } of row.data.repositories) if (!waiting.has(uuid)) waiting.set(uuid, row.data.requestedAt);
  }
  return waiting;
}

/**
 * Writes the records of up to `max` waiting repositories, oldest rows first, and drops the rows done.
 * A repository deselected since is passed over (deselecting cancels only records); its backfill is
 * asked for again when it is selected again. Each record keeps the window and the time of its ask.
 */
export async function requestPendingBackfills(deps: { store: KeyValueStore; log: Logger }, isSelected: (uuid: string) => boolean, max = REQUESTED_PER_TICK): Promise<BackfillRecord[]> {
  const { store, log } = deps;
  const requested: BackfillRecord[] = [];
  let written = 0;
  for await (const { key, value } of allEntries<unknown>(store, PREFIX)) {
    if (written >= max) break;
    const row = PendingRow.safeParse(value);
    if (row.success) {
      const selected = row.data.repositories.filter((r) => isSelected(r.uuid));
      requested.push(...(await requestBackfill(store, selected, { windowDays: row.data.windowDays, now: row.data.requestedAt })));
      written += selected.length;
    } else {
      // Only this file writes these rows; one it cannot read came from another version of the app.
      log.error({ key, problem: row.error.issues[0]?.message }, 'a row of backfills waiting to be asked for could not be read and was dropped: select those repositories again to backfill them');
    }
    // Deleted only once its records are written: a tick stopped half-way writes them again, the
    // same records (requestBackfill leaves a queued one alone).
    await store.delete(key);
  }
  return requested;
}
