import api, { route } from '@forge/api';
import { z } from 'zod';
import { withinTime } from '../../core/enrich/cloud/client';
import { bitbucketReadTimeoutMs } from '../adapters/deadline';

// Reads Bitbucket as the admin on the page (like the admin check), not as the app: what the admin can
// see is the yardstick for "partial access" in Check connection.

const Size = z.object({ size: z.number().int() });

/** How many repositories of the workspace the calling user can see; undefined when Bitbucket will not say. */
export async function userRepositoryCount(workspace: string): Promise<number | undefined> {
  const q = new URLSearchParams({ pagelen: '1', fields: 'size' });
  // A read that hangs must not hold the check past its resolver's limit: the count is only a comparison.
  const json = await withinTime(
    api
      .asUser()
      .requestBitbucket(route`/2.0/repositories/${workspace}?${q}`)
      .then((response) => (response.status === 200 ? response.json() : undefined)),
    bitbucketReadTimeoutMs(),
    'the repositories you can see',
  );
  const body = Size.safeParse(json);
  return body.success ? body.data.size : undefined;
}
