import api, { NeedsAuthenticationError, route } from '@forge/api';
import { z } from 'zod';
import { withinTime } from '../../core/enrich/cloud/client';
import { BitbucketError, errorMessage } from '../../core/errors';
import { bitbucketReadTimeoutMs } from '../adapters/deadline';

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
  // Every click on the page waits for this read: one that hangs is given up in time and said as
  // Bitbucket's trouble, not left to run the resolver into Forge's 25 s limit with no answer at all.
  const { status, json } = await withinTime(
    api
      .asUser()
      .requestBitbucket(path)
      .then(async (response) => ({ status: response.status, json: response.status === 200 ? await response.json() : undefined }))
      .catch((error: unknown) => {
        // Forge asks the user to allow access only when this error leaves the function as it is.
        if (error instanceof NeedsAuthenticationError) throw error;
        // A dropped connection or an unreadable answer is Bitbucket failing to say: refused all the
        // same, but told as Bitbucket's trouble to wait out, not as a raw platform error.
        throw new BitbucketError('network', undefined, path.value, `Bitbucket gave no readable answer when asked for your role in this workspace: ${errorMessage(error)}`);
      }),
    bitbucketReadTimeoutMs(),
    'your role in this workspace',
  );
  // Bitbucket failing to say is not Bitbucket saying no: an admin is told to wait, not that they are no admin.
  if (status === 429 || status >= 500) {
    const kind = status === 429 ? 'rate-limited' : 'server';
    throw new BitbucketError(kind, status, path.value, `Bitbucket answered ${status} when asked for your role in this workspace`);
  }
  if (status !== 200) throw new NotAdminError();
  const body = Permission.safeParse(json);
  if (!body.success || body.data.permission !== 'owner') throw new NotAdminError();
  return workspace;
}
