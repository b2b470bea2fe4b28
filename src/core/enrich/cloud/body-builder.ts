import type { KeyValueStore } from '../../ports';
import type { BodyBuilder } from '../../pipeline/context';
import { cloudBody } from '../../payload/cloud';
import { serializeWithinLimit } from '../../payload/limit';
import type { CloudClient } from './client';
import { enrichCloud } from './enrich';
import { cloudLookups, type Lookups } from './lookups';

/** Bitbucket Cloud: enrich through the API, build the native webhook body, keep it within 256 KB. */
export function cloudBodyBuilder(client: CloudClient, store: KeyValueStore, lookups: Lookups = cloudLookups(client, store)): BodyBuilder {
  return async (change, intent) => serializeWithinLimit(cloudBody(await enrichCloud(change, intent, { client, lookups }), intent, change));
}
