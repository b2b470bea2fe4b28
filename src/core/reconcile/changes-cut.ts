import { z } from 'zod';
import type { KeyValueStore, Logger } from '../ports';
import { CHANGED_MAX_PAGES, type WorkspaceChanges } from './repositories';

// The workspace query for pushed repositories stops at its page cap. Nothing is lost there (the
// repositories it did not reach are read as if pushed, see pushedSince), but each of them then costs
// its refs and deployments reads every pass, and nothing else would say why the budget goes. Kept in
// the store while it lasts: logged when it starts (every pass meets it again), shown on the status.

const KEY = 'reconcile:changes-cut';

export const ChangesCut = z.object({
  /** The first pass that met it. */
  at: z.number(),
  /** What the query was asked for: changes since this (the oldest watermark of the repositories due). */
  since: z.number(),
  /** How many repositories it read before the cap. */
  read: z.number(),
});
export type ChangesCut = z.infer<typeof ChangesCut>;

/**
 * Keeps (or clears) the record after one workspace query; one read of the store when nothing is cut.
 * `message` is the host's wording for its log (the bridge names its variables, not the settings page).
 */
export async function noteChangesCut(store: KeyValueStore, log: Logger, changes: WorkspaceChanges, since: number, now: number, message = changesCutMessage): Promise<void> {
  const previous = await changesCut(store);
  if (changes.cutAt === undefined) {
    if (previous) await store.delete(KEY);
    return;
  }
  const next: ChangesCut = { at: previous?.at ?? now, since, read: changes.changed.size };
  await store.set(KEY, next);
  if (!previous) log.warn({ read: next.read, pages: CHANGED_MAX_PAGES, since: new Date(since).toISOString() }, message(next));
}

export async function changesCut(store: KeyValueStore): Promise<ChangesCut | undefined> {
  const parsed = ChangesCut.safeParse(await store.get(KEY));
  return parsed.success ? parsed.data : undefined;
}

/** What the cut means and what to change; for the log and the status. */
export function changesCutMessage(cut: ChangesCut): string {
  return `The query for repositories pushed since ${new Date(cut.since).toISOString()} stopped at its cap of ${CHANGED_MAX_PAGES} pages after ${cut.read} repositories, with more to come. Nothing is lost: the repositories it did not reach are read as if pushed (their branches and deployments), which spends more of the hour's requests. It ends once every repository has had a pass since then; if it lasts, a repository whose reconciliation keeps failing or waits for budget holds that date back: fix the cause or deselect it`;
}
