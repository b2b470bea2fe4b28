// The native event keys PanDev parses (DESIGN, "The PanDev delivery contract").

export const cloudPullRequestKeys = [
  'pullrequest:created',
  'pullrequest:updated',
  'pullrequest:fulfilled',
  'pullrequest:rejected',
  'pullrequest:approved',
  'pullrequest:unapproved',
  'pullrequest:changes_request_created',
  'pullrequest:changes_request_removed',
  'pullrequest:comment_created',
  'pullrequest:comment_updated',
  'pullrequest:comment_deleted',
] as const;

export const cloudRepositoryKeys = [
  'repo:created',
  'repo:updated',
  'repo:deleted',
  'repo:push',
  'repo:commit_status_created',
  'repo:commit_status_updated',
] as const;

export const deploymentKey = 'pandev:deployment' as const;

/** Data Center's native keys (notes §5.5); `pr:reviewer:changes_requested` is its newer name for needs_work. */
export const dataCenterPullRequestKeys = [
  'pr:opened',
  'pr:modified',
  'pr:from_ref_updated',
  'pr:merged',
  'pr:declined',
  'pr:deleted',
  'pr:reviewer:approved',
  'pr:reviewer:unapproved',
  'pr:reviewer:needs_work',
  'pr:comment:added',
  'pr:comment:edited',
  'pr:comment:deleted',
] as const;

export const dataCenterRepositoryKeys = ['repo:refs_changed'] as const;

/** Data Center has no build-status webhook; like deployments, these carry a key of our own. */
export const dataCenterBuildStatusKey = 'pandev:build_status' as const;

export type DataCenterEventKey = (typeof dataCenterPullRequestKeys)[number] | (typeof dataCenterRepositoryKeys)[number] | typeof dataCenterBuildStatusKey;

export type CloudPullRequestKey = (typeof cloudPullRequestKeys)[number];
export type CloudRepositoryKey = (typeof cloudRepositoryKeys)[number];
export type CloudEventKey = CloudPullRequestKey | CloudRepositoryKey | typeof deploymentKey;

export type IngestEndpoint = 'merge-request' | 'repository';

/** Which PanDev ingest endpoint carries an event key (either edition). */
export function endpointFor(eventKey: string): IngestEndpoint {
  return eventKey.startsWith('pullrequest:') || eventKey.startsWith('pr:') ? 'merge-request' : 'repository';
}

export const ingestPaths: Record<IngestEndpoint, string> = {
  'merge-request': '/v1/bitbucket/webhook/merge-request',
  repository: '/v1/bitbucket/webhook/repository',
};
