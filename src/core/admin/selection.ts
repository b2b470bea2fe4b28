import type { z } from 'zod';
import type { SelectionInput, SelectionOutput, SelectionSummary } from '../../contract/repositories';
import { deferBackfills, REQUESTED_AT_ONCE, requestPendingBackfills } from '../backfill/pending';
import { cancelBackfill, listBackfills, needsBackfill, requestBackfill, type BackfillRecord } from '../backfill/state';
import { settingsStore, type Selection, type SettingsStore } from '../config/settings';
import { keyPart } from '../keys';
import type { KeyValueStore, Logger, SecretStore } from '../ports';
import { loadCatalog, type Catalog } from './catalog';
import { mapLimit, type AdminContext } from './context';
import { AdminActionError } from './errors';
import { grouped } from '../words';

// Which repositories forward. A change takes effect for the next event (the trigger reads the same
// marks); newly selected repositories of an activated app are backfilled, deselected ones lose their
// pending backfill.

export interface SelectionState {
  selection: Selection;
  marks: Map<string, boolean>;
}

export async function selectionState(settings: SettingsStore): Promise<SelectionState> {
  const selection = await settings.selection();
  return { selection, marks: await settings.selectionMarks(selection.generation) };
}

export function isSelectedIn(state: SelectionState, uuid: string): boolean {
  return state.marks.get(keyPart(uuid)) ?? state.selection.mode === 'all';
}

export function summarize(catalog: Catalog, state: SelectionState): SelectionSummary {
  const selected = catalog.repositories.filter((r) => isSelectedIn(state, r.uuid)).length;
  return { mode: state.selection.mode, selected, repositories: catalog.repositories.length };
}

export interface AppliedSelection {
  output: SelectionOutput;
  /** Backfill records that now need a job. */
  requested: BackfillRecord[];
}

export async function applySelection(ctx: AdminContext, input: z.output<typeof SelectionInput>): Promise<AppliedSelection> {
  const settings = settingsStore(ctx.store, ctx.secrets);
  const [catalog, before] = await Promise.all([loadCatalog(ctx), selectionState(settings)]);
  const targets = targetsOf(catalog, input);
  const changed = targets.filter((uuid) => isSelectedIn(before, uuid) !== input.selected);

  let after: SelectionState;
  if (input.scope === 'all') {
    after = { selection: await settings.resetSelection(input.selected ? 'all' : 'selected'), marks: new Map() };
  } else {
    await mapLimit(changed, 10, (uuid) => settings.setSelected(uuid, input.selected, before.selection));
    const marks = new Map(before.marks);
    for (const uuid of changed) {
      if (input.selected === (before.selection.mode === 'all')) marks.delete(keyPart(uuid));
      else marks.set(keyPart(uuid), input.selected);
    }
    after = { selection: before.selection, marks };
  }

  const now = ctx.clock.now();
  let requested: RequestedBackfills = { records: [], deferred: 0 };
  if (!input.selected) await inChunks(changed, (chunk) => cancelBackfill(ctx.store, chunk, now));
  else if ((await settings.connection())?.activatedAt) requested = await requestBackfills(ctx.store, changed.map((uuid) => named(catalog, uuid)), (await settings.preferences()).backfillDays, now);
  const asked = requested.records.length + requested.deferred;
  ctx.log.info({ scope: input.scope, selected: input.selected, changed: changed.length, backfillRequested: asked, deferred: requested.deferred }, 'repository selection changed');
  return {
    output: {
      selection: summarize(catalog, after),
      changed: changed.length,
      backfill: { requested: asked, cancelled: input.selected ? 0 : changed.length },
    },
    requested: requested.records,
  };
}

function targetsOf(catalog: Catalog, input: z.output<typeof SelectionInput>): string[] {
  if (input.scope === 'repositories') {
    const targets = [...new Set(input.repositories)];
    // A row the page showed before the list was read again without it (deleted or moved since):
    // selected, it would only get a backfill that fails. Deselecting one stays possible.
    const gone = input.selected ? targets.filter((uuid) => !catalog.byKey.has(keyPart(uuid))) : [];
    if (gone.length) {
      const what = gone.length === 1 && targets.length === 1 ? 'This repository is' : `${grouped(gone.length)} of these repositories ${gone.length === 1 ? 'is' : 'are'}`;
      throw new AdminActionError('not-found', `${what} no longer in this workspace (deleted or moved since the list was shown): nothing was changed. The list now shows the workspace as it is.`, 'repositories');
    }
    return targets;
  }
  if (input.scope === 'all') return catalog.repositories.map((r) => r.uuid);
  const inProject = catalog.repositories.filter((r) => r.projectKey === input.project);
  if (!inProject.length) throw new AdminActionError('not-found', `project: no project with key "${input.project}" in this workspace (refresh the list if it is new)`, 'project');
  return inProject.map((r) => r.uuid);
}

function named(catalog: Catalog, uuid: string): { uuid: string; name?: string } {
  const name = catalog.byKey.get(keyPart(uuid))?.name;
  return name !== undefined ? { uuid, name } : { uuid };
}

export interface RequestedBackfills {
  /** The records written now, which need a job. */
  records: BackfillRecord[];
  /** Repositories whose record the five-minute ticks write (backfill/pending.ts). */
  deferred: number;
}

/**
 * Asks for the backfill of many repositories at once. Those under way or finished over the window are
 * found in one listing (not a read each); of the rest, the first few hundred get their record now.
 */
export async function requestBackfills(store: KeyValueStore, repositories: Array<{ uuid: string; name?: string }>, windowDays: number, now: number): Promise<RequestedBackfills> {
  const listed = new Map((await listBackfills(store)).map((record) => [keyPart(record.repository), record]));
  const wanted = repositories.filter((r) => needsBackfill(listed.get(keyPart(r.uuid)), windowDays));
  const later = wanted.slice(REQUESTED_AT_ONCE);
  const records = (await inChunks(wanted.slice(0, REQUESTED_AT_ONCE), (chunk) => requestBackfill(store, chunk, { windowDays, now, listed }))).flat();
  await deferBackfills(store, later, windowDays, now);
  return { records, deferred: later.length };
}

/** The five-minute tick's share of the backfills asked for in a workspace too large to write at once. */
export async function requestDeferredBackfills(deps: { store: KeyValueStore; secrets: SecretStore; log: Logger }): Promise<BackfillRecord[]> {
  const state = await selectionState(settingsStore(deps.store, deps.secrets));
  const records = await requestPendingBackfills(deps, (uuid) => isSelectedIn(state, uuid));
  if (records.length) deps.log.info({ backfillRequested: records.length }, 'backfills asked for earlier now have their records');
  return records;
}

// requestBackfill and cancelBackfill go one repository at a time; chunks run side by side so that
// thousands of repositories fit in one resolver call.
function inChunks<T, R>(items: T[], fn: (chunk: T[]) => Promise<R>): Promise<R[]> {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += 50) chunks.push(items.slice(i, i + 50));
  return mapLimit(chunks, 8, fn);
}
