import type { AdminContext } from '../../core/admin/context';
import { forgeContext } from '../adapters/context';
import { invocationDeadline, RESOLVER_TIMEOUT_MS } from '../adapters/deadline';

/** The settings page's use cases over Forge: the app's store, egress, logger and budgeted Bitbucket client. */
export function forgeAdminContext(workspace: string): AdminContext {
  const { store, secrets, clock, log, send, userAgent, client } = forgeContext();
  return { store, secrets, clock, log, send, userAgent, workspace, bitbucket: client, deadline: invocationDeadline(clock.now(), RESOLVER_TIMEOUT_MS) };
}
