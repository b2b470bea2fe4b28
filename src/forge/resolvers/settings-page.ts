import { ConnectionSaveInput, EmptyInput, GenerateSecretInput } from '../../contract/connection';
import { PrCommentOverrideInput, PreferencesSaveInput, RepositoriesListInput, SelectionInput } from '../../contract/repositories';
import { activate, checkAndRecord, generateSigningSecret, getConnection, saveConnection } from '../../core/admin/connection';
import { getPreferences, savePreferences, setPrCommentOverride } from '../../core/admin/preferences';
import { listRepositories } from '../../core/admin/repositories';
import { applySelection } from '../../core/admin/selection';
import { getStatus } from '../../core/admin/status';
import { forgeForwardQueue } from '../adapters/queue';
import { forgeAdminContext as ctx } from './admin-context';
import { userRepositoryCount } from './as-user';
import { guarded, type ResolverRequest } from './define';
import { startBackfillJobs } from './start-backfill-jobs';

// The settings page's resolvers: each one validated, admin-only (define.ts) and one use case of
// src/core/admin; the Forge-only parts (reading as the user, starting jobs) are added here.

export const settingsPageResolvers: Record<string, (request: ResolverRequest) => Promise<unknown>> = {
  'connection/get': guarded('connection/get', EmptyInput, (_, workspace) => getConnection(ctx(workspace))),
  'connection/save': guarded('connection/save', ConnectionSaveInput, (input, workspace) => saveConnection(ctx(workspace), input)),
  'connection/generateSecret': guarded('connection/generateSecret', GenerateSecretInput, (input, workspace) => generateSigningSecret(ctx(workspace), input)),
  // A check that lifts a pause queues what it kept (ids only: the consumer delivers them, not this call's 25 s).
  'connection/check': guarded('connection/check', EmptyInput, (_, workspace) => checkAndRecord(ctx(workspace), { userRepositoryCount: () => userRepositoryCount(workspace) }, forgeForwardQueue())),
  'connection/activate': guarded('connection/activate', EmptyInput, async (_, workspace) => {
    const { output, requested } = await activate(ctx(workspace));
    await startBackfillJobs(workspace, requested);
    return output;
  }),
  'repositories/list': guarded('repositories/list', RepositoriesListInput, (input, workspace) => listRepositories(ctx(workspace), input)),
  'repositories/select': guarded('repositories/select', SelectionInput, async (input, workspace) => {
    const { output, requested } = await applySelection(ctx(workspace), input);
    await startBackfillJobs(workspace, requested);
    return output;
  }),
  'preferences/get': guarded('preferences/get', EmptyInput, (_, workspace) => getPreferences(ctx(workspace))),
  'preferences/save': guarded('preferences/save', PreferencesSaveInput, (input, workspace) => savePreferences(ctx(workspace), input)),
  'preferences/override': guarded('preferences/override', PrCommentOverrideInput, (input, workspace) => setPrCommentOverride(ctx(workspace), input)),
  'status/get': guarded('status/get', EmptyInput, (_, workspace) => getStatus(ctx(workspace))),
};
