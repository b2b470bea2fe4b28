// Every Bitbucket Data Center endpoint the bridge calls, relative to the instance's base URL (host plus
// context path). Paths use the `1.0` alias of `latest` as clients conventionally do (notes §5).

const repo = '/rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}';

export const dcEndpoints = {
  applicationProperties: '/rest/api/1.0/application-properties',
  user: '/rest/api/1.0/users/{userSlug}',
  projects: '/rest/api/1.0/projects',
  repositories: '/rest/api/1.0/repos',
  projectRepositories: '/rest/api/1.0/projects/{projectKey}/repos',
  repository: repo,
  pullRequests: `${repo}/pull-requests`,
  pullRequest: `${repo}/pull-requests/{pullRequestId}`,
  activities: `${repo}/pull-requests/{pullRequestId}/activities`,
  comment: `${repo}/pull-requests/{pullRequestId}/comments/{commentId}`,
  branches: `${repo}/branches`,
  tags: `${repo}/tags`,
  commits: `${repo}/commits`,
  commit: `${repo}/commits/{commitId}`,
  commitChanges: `${repo}/commits/{commitId}/changes`,
  buildStatuses: '/rest/build-status/1.0/commits/{commitId}',
  /** POST, body: commit ids; answers their build counts (commits without builds are left out). */
  buildStats: '/rest/build-status/1.0/commits/stats',
} as const;

export type DcEndpoint = keyof typeof dcEndpoints;
export type DcQuery = Record<string, string | number | boolean | undefined>;

export interface DcRequest {
  endpoint: DcEndpoint;
  params?: Record<string, string | number>;
  query?: DcQuery;
}

/** Path plus query string; path values are percent-encoded, so a slug cannot add segments. */
export function dcTarget(request: DcRequest): string {
  const path = dcEndpoints[request.endpoint].replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = request.params?.[name];
    if (value === undefined || value === '') throw new Error(`missing path parameter "${name}" for ${request.endpoint}`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query ?? {})) if (value !== undefined) search.set(name, String(value));
  const query = search.toString();
  return query ? `${path}?${query}` : path;
}
