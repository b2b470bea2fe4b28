import type { KeyValueStore, Logger } from '../../ports';
import type { BodyBuilder } from '../../pipeline/context';
import { cloudBody } from '../../payload/cloud';
import { serializeWithinLimit } from '../../payload/limit';
import type { CloudClient } from './client';
import { enrichCloud } from './enrich';
import { cloudLookups, type Lookups } from './lookups';
import type { PullRequest } from './schema';

/**
 * Bitbucket Cloud: enrich through the API, build the native webhook body, keep it within 256 KB.
 * `pullrequest`: one read already for the change these bodies are of (reviewer-names.ts). `log`: where
 * a body that says less than its event says why.
 */
export function cloudBodyBuilder(client: CloudClient, store: KeyValueStore, lookups: Lookups = cloudLookups(client, store), pullrequest?: PullRequest, log?: Logger): BodyBuilder {
  return async (change, intent) => serializeWithinLimit(cloudBody(await enrichCloud(change, intent, { client, lookups, ...(pullrequest ? { pullrequest } : {}), ...(log ? { log } : {}) }), intent, change));
}
