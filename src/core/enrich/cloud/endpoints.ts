// Every Bitbucket Cloud endpoint the app calls, as its path template in the official spec. The core
// names endpoints; each host turns a name into a request. On Forge that is a `route` literal per
// endpoint (src/forge/adapters/bitbucket-transport.ts), which lets Atlassian's linter check the scopes;
// a test keeps the two lists and the manifest's scopes in agreement with the spec.

export const cloudEndpoints = {
  currentUser: '/2.0/user',
  workspace: '/2.0/workspaces/{workspace}',
  repositories: '/2.0/repositories/{workspace}',
  repository: '/2.0/repositories/{workspace}/{repo_slug}',
  pullRequests: '/2.0/repositories/{workspace}/{repo_slug}/pullrequests',
  pullRequestsActivity: '/2.0/repositories/{workspace}/{repo_slug}/pullrequests/activity',
  pullRequestDiffstat: '/2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/diffstat',
  diffstat: '/2.0/repositories/{workspace}/{repo_slug}/diffstat/{spec}',
  deployments: '/2.0/repositories/{workspace}/{repo_slug}/deployments',
  environments: '/2.0/repositories/{workspace}/{repo_slug}/environments',
  pipelines: '/2.0/repositories/{workspace}/{repo_slug}/pipelines',
  pullRequest: '/2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}',
  pullRequestComments: '/2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments',
  pullRequestComment: '/2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments/{comment_id}',
  user: '/2.0/users/{selected_user}',
  commits: '/2.0/repositories/{workspace}/{repo_slug}/commits',
  branches: '/2.0/repositories/{workspace}/{repo_slug}/refs/branches',
  tags: '/2.0/repositories/{workspace}/{repo_slug}/refs/tags',
  /** Branches and tags in one listing. */
  refs: '/2.0/repositories/{workspace}/{repo_slug}/refs',
  commit: '/2.0/repositories/{workspace}/{repo_slug}/commit/{commit}',
  commitStatuses: '/2.0/repositories/{workspace}/{repo_slug}/commit/{commit}/statuses',
  deployment: '/2.0/repositories/{workspace}/{repo_slug}/deployments/{deployment_uuid}',
} as const;

export type CloudEndpoint = keyof typeof cloudEndpoints;

export type CloudQuery = Record<string, string | number | Array<string | number> | undefined>;

export interface CloudEndpointRequest {
  endpoint: CloudEndpoint;
  params: Record<string, string | number>;
  query?: CloudQuery;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
}

/** A `next` link from a previous page, followed as given (Bitbucket: "do not construct your own links"). */
export interface CloudNextRequest {
  next: string;
}

export type CloudRequest = CloudEndpointRequest | CloudNextRequest;

export function isNextRequest(request: CloudRequest): request is CloudNextRequest {
  return 'next' in request;
}

/** Fills a template's `{name}` placeholders; path values are percent-encoded, so a slug cannot add segments. */
export function expandPath(endpoint: CloudEndpoint, params: Record<string, string | number>): string {
  return cloudEndpoints[endpoint].replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new Error(`missing path parameter "${name}" for ${endpoint}`);
    return encodeURIComponent(String(value));
  });
}

export function toSearchParams(query: CloudQuery | undefined): URLSearchParams {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(name, String(item));
  }
  return search;
}

/** Path plus query string, as a generic HTTP transport sends it. */
export function requestTarget(request: CloudEndpointRequest): string {
  const search = toSearchParams(request.query).toString();
  return expandPath(request.endpoint, request.params) + (search ? `?${search}` : '');
}
