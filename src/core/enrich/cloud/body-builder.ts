import type { KeyValueStore } from '../../ports';
import type { BodyBuilder } from '../../pipeline/context';
import { cloudBody } from '../../payload/cloud';
import { serializeWithinLimit } from '../../payload/limit';
import type { CloudClient } from './client';
import { enrichCloud, type CloudParts, type EnrichDeps } from './enrich';
import { cloudLookups, type Lookups } from './lookups';
import { leftOutAuthorAccounts, type Commit } from './schema';

/**
 * Bitbucket Cloud: enrich through the API, build the native webhook body, keep it within 256 KB.
 * `read`: what was read already for the change these bodies are of (change-preparer.ts). The log the
 * builder is handed: where a body that says less than its event says why.
 */
export function cloudBodyBuilder(client: CloudClient, store: KeyValueStore, lookups: Lookups = cloudLookups(client, store), read: Pick<EnrichDeps, 'pullrequest' | 'comment'> = {}): BodyBuilder {
  return async (change, intent, log) => {
    const parts = await enrichCloud(change, intent, { client, lookups, ...read, ...(log ? { log } : {}) });
    const leftOut = leftOutAuthorAccounts(commitsOf(parts));
    if (leftOut.length) log?.warn({ eventKey: intent.eventKey, repository: change.repository.uuid, leftOut }, `delivered without what PanDev could not read: ${leftOut.join('; ')}`);
    return serializeWithinLimit(cloudBody(parts, intent, change));
  };
}

/** The commits a body carries whole, with their authors. */
function commitsOf(parts: CloudParts): Array<Commit | undefined> {
  if (parts.family === 'push') return [...parts.commits, parts.oldRef?.target, parts.newRef?.target];
  return parts.family === 'build-status' ? [parts.status.commit as Commit | undefined] : [];
}
