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
