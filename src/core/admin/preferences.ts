import type { z } from 'zod';
import type { PrCommentOverrideInput, PreferencesSaveInput, PreferencesView } from '../../contract/repositories';
import { settingsStore, type Preferences } from '../config/settings';
import { loadCatalog } from './catalog';
import type { AdminContext } from './context';
import { AdminActionError } from './errors';
import { inCatalog } from './repositories';

// Advanced: the PR comment (workspace default and per-repository exceptions), the backfill window and
// the reconciliation period. Each save merges into what is stored, so two admins' edits of different
// fields do not undo each other.

function view(preferences: Preferences): PreferencesView {
  return {
    prComments: preferences.prComments,
    backfillDays: preferences.backfillDays,
    reconcileMinutes: preferences.reconcileMinutes,
    commitStats: preferences.commitStats,
    backfillBuildStatuses: preferences.backfillBuildStatuses,
    overrides: Object.keys(preferences.prCommentOverrides).length,
  };
}

export async function getPreferences(ctx: AdminContext): Promise<PreferencesView> {
  return view(await settingsStore(ctx.store, ctx.secrets).preferences());
}

export async function savePreferences(ctx: AdminContext, input: z.output<typeof PreferencesSaveInput>): Promise<PreferencesView> {
  const settings = settingsStore(ctx.store, ctx.secrets);
  const next = { ...(await settings.preferences()), ...definedOnly(input) };
  await settings.savePreferences(next);
  ctx.log.info({ changed: Object.keys(definedOnly(input)) }, 'preferences saved');
  return view(next);
}

export async function setPrCommentOverride(ctx: AdminContext, input: z.output<typeof PrCommentOverrideInput>): Promise<PreferencesView> {
  const settings = settingsStore(ctx.store, ctx.secrets);
  if (!inCatalog(await loadCatalog(ctx), input.repository)) {
    throw new AdminActionError('not-found', 'repository: not a repository of this workspace (refresh the list if it is new)', 'repository');
  }
  const current = await settings.preferences();
  const overrides = { ...current.prCommentOverrides };
  // An exception equal to the workspace setting is no exception: it would only hide a later change of it.
  if (input.prComments === null || input.prComments === current.prComments) delete overrides[input.repository];
  else overrides[input.repository] = input.prComments;
  const next = { ...current, prCommentOverrides: overrides };
  await settings.savePreferences(next);
  return view(next);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
