import { z } from 'zod';
import type { BackfillView, ProjectSummary, RepositoriesListInput, RepositoryPage, RepositoryRow } from '../../contract/repositories';
import { pendingBackfills } from '../backfill/pending';
import { getBackfill, type BackfillRecord } from '../backfill/state';
import { settingsStore, type Preferences } from '../config/settings';
import { keyPart } from '../keys';
import { Activity } from '../pipeline/activity';
import { activityKey } from '../pipeline/stage';
import { listCutMessage, readListing, type Catalog, type CatalogRepository } from './catalog';
import { mapLimit, type AdminContext } from './context';
import { isSelectedIn, selectionState, summarize, type SelectionState } from './selection';

// One page of the repository list: filtered and paged over the cached catalog, each row with its
// selection, PR comment setting, last event and backfill progress (two store reads per row shown).

export async function listRepositories(ctx: AdminContext, input: z.output<typeof RepositoriesListInput>): Promise<RepositoryPage> {
  const settings = settingsStore(ctx.store, ctx.secrets);
  const [listing, state, preferences] = await Promise.all([readListing(ctx, { refresh: input.refresh, continuing: input.continue !== undefined }), selectionState(settings), settings.preferences()]);
  const loading = listing.loading ? { loading: listing.loading } : {};
  // The first reading of a large workspace's list is not over yet: nothing to show but how far it is.
  if (!listing.catalog) return { items: [], total: 0, offset: 0, projects: [], selection: { mode: state.selection.mode, selected: 0, repositories: 0 }, ...loading };
  const { catalog } = listing;
  const search = input.search?.toLowerCase();
  const matching = catalog.repositories.filter(
    (r) =>
      (!input.project || r.projectKey === input.project) &&
      (!search || r.name.toLowerCase().includes(search) || r.slug.toLowerCase().includes(search) || (catalog.projects.get(r.projectKey) ?? '').toLowerCase().includes(search)),
  );
  const limit = input.limit ?? 50;
  // A list that shrank under the page (repositories deleted, a refresh) must not leave it past the
  // end, on an empty page headed "51–45 of 45": it gets the last page that has rows.
  const offset = Math.min(input.offset ?? 0, Math.max(0, Math.ceil(matching.length / limit) - 1) * limit);
  const page = matching.slice(offset, offset + limit);
  const pending = await pendingBackfills(ctx.store);
  const items = await mapLimit(page, 20, (repository) => row(ctx, catalog, repository, state, preferences, pending));
  return {
    items,
    total: matching.length,
    offset,
    ...(offset + limit < matching.length ? { nextOffset: offset + limit } : {}),
    projects: projectSummaries(catalog, state),
    selection: summarize(catalog, state),
    fetchedAt: catalog.fetchedAt,
    ...(catalog.unlisted?.length ? { unlisted: catalog.unlisted } : {}),
    ...(catalog.cut ? { cut: listCutMessage(catalog.cut) } : {}),
    ...loading,
  };
}

async function row(ctx: AdminContext, catalog: Catalog, repository: CatalogRepository, state: SelectionState, preferences: Preferences, pending: Map<string, number>): Promise<RepositoryRow> {
  const [activity, backfill] = await Promise.all([ctx.store.get(activityKey(repository.uuid)), getBackfill(ctx.store, repository.uuid)]);
  const lastEvent = Activity.safeParse(activity);
  const override = preferences.prCommentOverrides[repository.uuid];
  return {
    uuid: repository.uuid,
    slug: repository.slug,
    name: repository.name,
    project: { key: repository.projectKey, name: catalog.projects.get(repository.projectKey) ?? '' },
    selected: isSelectedIn(state, repository.uuid),
    prComments: { value: override ?? preferences.prComments, overridden: override !== undefined },
    ...(lastEvent.success ? { lastEvent: lastEventView(lastEvent.data) } : {}),
    ...(backfill ? { backfill: backfillView(backfill, ctx.clock.now()) } : {}),
    // Asked for, its record left to a tick (backfill/pending.ts): to the admin it is queued like the rest.
    ...(!backfill && pending.has(repository.uuid) && isSelectedIn(state, repository.uuid) ? { backfill: { state: 'queued' as const, done: 0 } } : {}),
  };
}

function lastEventView({ lastEventKey, lastEventAt, lastEventOrigin, lastDeliveredAt }: Activity): NonNullable<RepositoryRow['lastEvent']> {
  return { key: lastEventKey, at: lastEventAt, ...(lastEventOrigin ? { origin: lastEventOrigin } : {}), deliveredAt: lastDeliveredAt };
}

/** `now`: the time left was the piece's when it saved the record; the page shows what remains of it. */
export function backfillView(record: BackfillRecord, now: number): BackfillView {
  const etaSeconds = record.etaSeconds === undefined ? undefined : Math.ceil(record.etaSeconds - Math.max(0, now - record.updatedAt) / 1000);
  return {
    state: record.state,
    done: record.done,
    ...(record.total !== undefined ? { total: record.total } : {}),
    ...(etaSeconds !== undefined && etaSeconds > 0 ? { etaSeconds } : {}),
    ...(record.error ? { error: record.error } : {}),
    ...(record.skippedCount ? { skipped: { count: record.skippedCount, recent: record.skipped.map((s) => `${s.what}: ${s.reason}`) } } : {}),
  };
}

function projectSummaries(catalog: Catalog, state: SelectionState): ProjectSummary[] {
  const byKey = new Map<string, ProjectSummary>();
  for (const repository of catalog.repositories) {
    const key = repository.projectKey;
    const summary = byKey.get(key) ?? { key, name: catalog.projects.get(key) ?? '', repositories: 0, selected: 0 };
    summary.repositories++;
    if (isSelectedIn(state, repository.uuid)) summary.selected++;
    byKey.set(key, summary);
  }
  return [...byKey.values()];
}

/** Whether `uuid` is one of the workspace's repositories (as far as the cached list knows). */
export function inCatalog(catalog: Catalog, uuid: string): boolean {
  return catalog.byKey.has(keyPart(uuid));
}
