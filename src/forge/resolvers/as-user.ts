import api, { route } from '@forge/api';
import { z } from 'zod';

// Reads Bitbucket as the admin on the page (like the admin check), not as the app: what the admin can
// see is the yardstick for "partial access" in Check connection.

const Size = z.object({ size: z.number().int() });

/** How many repositories of the workspace the calling user can see; undefined when Bitbucket will not say. */
export async function userRepositoryCount(workspace: string): Promise<number | undefined> {
  const q = new URLSearchParams({ pagelen: '1', fields: 'size' });
  const response = await api.asUser().requestBitbucket(route`/2.0/repositories/${workspace}?${q}`);
  if (response.status !== 200) return undefined;
  const body = Size.safeParse(await response.json());
  return body.success ? body.data.size : undefined;
}
