import { NeedsAuthenticationError } from '@forge/api';
import { z } from 'zod';
import type { ResolverMap, ResolverName, ResolverResult } from '../../contract/resolvers';
import { bitbucketAdvice } from '../../core/admin/bitbucket-advice';
import { AdminActionError } from '../../core/admin/errors';
import { BitbucketError, errorMessage } from '../../core/errors';
import { forgeContext } from '../adapters/context';
import { forgeLogger as log } from '../adapters/logger';
import { NotAdminError, requireWorkspaceAdmin } from './admin-guard';

// Wraps each resolver: admin check, zod-validated input, and a result that never throws to the UI.

export interface ResolverRequest {
  payload: unknown;
  context: { installContext?: unknown; accountId?: string };
}

type Handler<N extends ResolverName> = (input: ResolverMap[N]['input'], workspace: string) => Promise<ResolverMap[N]['output']>;

export function guarded<N extends ResolverName>(name: N, schema: z.ZodType<ResolverMap[N]['input']>, handler: Handler<N>) {
  return async (request: ResolverRequest): Promise<ResolverResult<ResolverMap[N]['output']>> => {
    try {
      const workspace = await requireWorkspaceAdmin(request.context.installContext);
      const input = schema.safeParse(request.payload ?? {});
      if (!input.success) {
        const issue = input.error.issues[0];
        const field = issue?.path.join('.') || undefined;
        return { ok: false, error: { code: 'invalid-input', message: `${field ?? 'input'}: ${issue?.message ?? 'invalid'}`, ...(field ? { field } : {}) } };
      }
      return { ok: true, data: await handler(input.data, workspace) };
    } catch (error) {
      // Forge asks the user to allow the app access when this error leaves the function; caught here,
      // an admin who has not yet allowed it would be shut out of every call with no way to consent.
      if (error instanceof NeedsAuthenticationError) throw error;
      if (error instanceof NotAdminError) return { ok: false, error: { code: 'forbidden', message: error.message } };
      if (error instanceof AdminActionError) return { ok: false, error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } };
      // Bitbucket's trouble is said in words the admin can act on; its raw answer goes to the log only.
      if (error instanceof BitbucketError) {
        log.warn({ resolver: name, error: error.message }, 'resolver stopped by a Bitbucket failure');
        return { ok: false, error: { code: 'unavailable', message: bitbucketAdvice(error) } };
      }
      log.error({ resolver: name, error: errorMessage(error) }, 'resolver failed');
      return { ok: false, error: { code: 'internal', message: `Something went wrong: ${errorMessage(error)}` } };
    } finally {
      // The page's Bitbucket requests count against the same hour as everything else.
      await forgeContext().budget.flush();
    }
  };
}
