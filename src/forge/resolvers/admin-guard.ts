import api, { route } from '@forge/api';
import { z } from 'zod';
import { BitbucketError } from '../../core/errors';

// Every resolver acts for an admin only. The check asks Bitbucket, as the calling user, for their role
// in this workspace: an admin who is demoted loses access on their next click, not at the next deploy.

export class NotAdminError extends Error {
  constructor(message = 'Only administrators of this Bitbucket workspace can view or change PanDev Metrics settings. Ask a workspace admin to open this page.') {
    super(message);
    this.name = 'NotAdminError';
  }
}

const Permission = z.looseObject({ permission: z.string() });

/** `ari:cloud:bitbucket::workspace/<uuid>` → `{<uuid>}` as Bitbucket's API takes it. */
export function workspaceFromInstallContext(installContext: unknown): string {
  const match = typeof installContext === 'string' ? /workspace\/([0-9a-f-]{36})$/i.exec(installContext) : null;
  if (!match) throw new NotAdminError('This page must be opened from a Bitbucket workspace.');
  return `{${match[1]}}`;
}

export async function requireWorkspaceAdmin(installContext: unknown): Promise<string> {
  const workspace = workspaceFromInstallContext(installContext);
  const path = route`/2.0/user/workspaces/${workspace}/permission`;
  const response = await api.asUser().requestBitbucket(path);
  // Bitbucket failing to say is not Bitbucket saying no: an admin is told to wait, not that they are no admin.
  if (response.status === 429 || response.status >= 500) {
    const kind = response.status === 429 ? 'rate-limited' : 'server';
    throw new BitbucketError(kind, response.status, path.value, `Bitbucket answered ${response.status} when asked for your role in this workspace`);
  }
  if (response.status !== 200) throw new NotAdminError();
  const body = Permission.safeParse(await response.json());
  if (!body.success || body.data.permission !== 'owner') throw new NotAdminError();
  return workspace;
}
