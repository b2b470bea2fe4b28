import { BitbucketError, errorMessage } from '../../core/errors';

// Why a repository's pass failed, with what the operator can do about it: the reason `status` and the
// log show. Outages read the same on both editions; tokens, permissions, a 404 and rate limits (Data
// Center's token bucket, Cloud's hour) are each edition's own.

export interface FailedRepository {
  /** PROJECT/slug (Cloud: workspace/slug), as `status` names it. */
  name: string;
  /** What BITBUCKET_REPOS matches: PROJECT/slug on both editions (Cloud: the project key, not the workspace). */
  selector: string;
}

export function datacenterFailureReason(error: unknown, repo: FailedRepository): string {
  const message = errorMessage(error);
  if (!(error instanceof BitbucketError)) return message;
  switch (error.kind) {
    case 'unauthorized':
      return datacenterTokenRefused(error);
    case 'forbidden':
      return `${message} — the token's user may no longer read ${repo.name}: give them Repository read on it (or Project read on its project), or leave it out with BITBUCKET_REPOS=!${repo.selector}`;
    case 'not-found':
      return `${message} — if ${repo.name} was renamed, moved to another project or deleted, the repository list is read again next pass`;
    default:
      return sharedReason(error) ?? message;
  }
}

/**
 * A 401 that does not name the user (one that does is a permission, read as forbidden by the client): the
 * PAT itself is refused, whichever request met it, the listing included.
 */
export function datacenterTokenRefused(error: unknown): string {
  return `${errorMessage(error)} — the personal access token expired or was revoked: create a new one (in Bitbucket: Manage account → HTTP access tokens, with the permissions Project read and Repository read) and write it to the file BITBUCKET_TOKEN_FILE names (read again at the next 401, no restart), or set BITBUCKET_TOKEN and restart; then run \`pandev-bitbucket check\``;
}

/** `username`: an API token (Basic, with the account's email); without it, an access token (Bearer). */
export function cloudFailureReason(error: unknown, repo: FailedRepository & { username: boolean }): string {
  const message = errorMessage(error);
  if (!(error instanceof BitbucketError)) return message;
  switch (error.kind) {
    case 'unauthorized':
      return cloudTokenRefused(error, repo.username);
    case 'forbidden': {
      const scope = scopeFor(error);
      return `${message} — the token lacks the scope ${repo.username ? scope.apiToken : `"${scope.accessToken}"`} (${scope.what}), or its user may no longer read ${repo.name}: create a token with ${repo.username ? `the scopes ${API_TOKEN_SCOPES}` : ACCESS_TOKEN_SCOPES} (see \`pandev-bitbucket check\`), give the user read access to the repository, or leave it out with BITBUCKET_REPOS=!${repo.selector}`;
    }
    case 'not-found':
      // The bridge asks for repositories by UUID, so a rename is no 404: deleted, or moved away.
      return `${message} — ${repo.name} was probably deleted or transferred to another workspace; the repository list is read again next pass, and a repository no longer listed is no longer polled`;
    case 'rate-limited':
      // An hour's allowance: a per-second cap or a longer poll interval only spreads the same requests.
      return `${message} — Bitbucket Cloud's hourly limit for the token's user, still refused after the bridge waited for its budget (minutes to hours): the repository is tried again next pass. Something else spends the same user's hour: lower BITBUCKET_REQUESTS_PER_HOUR to the bridge's share of it, or give the bridge a token of its own`;
    default:
      return sharedReason(error) ?? message;
  }
}

/**
 * Cloud answers 401 only to credentials it does not accept (a repository the token may not read is a 403
 * or a 404): the token is to be replaced, whichever request met it. `username`: as in cloudFailureReason.
 */
export function cloudTokenRefused(error: unknown, username: boolean): string {
  return `${errorMessage(error)} — ${username
    ? `the API token expired or was revoked (an app password stops working once Atlassian retires them), or BITBUCKET_USERNAME is not the Atlassian account email it belongs to: create an API token with the scopes ${API_TOKEN_SCOPES}`
    : `the access token expired or was revoked: create a workspace, project or repository access token with ${ACCESS_TOKEN_SCOPES}`} and write it to the file BITBUCKET_TOKEN_FILE names (read again at the next 401, no restart), or set BITBUCKET_TOKEN and restart; then run \`pandev-bitbucket check\``;
}

/**
 * A 403 to one feed of a repository whose other feeds were read: the token lacks that feed's scope (a
 * user who may not read the repository is refused all of it). The rest is read every pass, and the
 * feed from where it was last read once the token has the scope.
 */
export function cloudScopeLacking(error: BitbucketError, repo: FailedRepository & { username: boolean }): string {
  const scope = scopeFor(error);
  return `${error.message} — the token lacks the scope ${repo.username ? scope.apiToken : `"${scope.accessToken}"`}, so the ${scope.what} of ${repo.name} are not read (the rest of it is, every pass, and what the ${scope.what} missed is read once the token has the scope): create ${repo.username ? `an API token with the scopes ${API_TOKEN_SCOPES}` : `an access token with ${ACCESS_TOKEN_SCOPES}`} and write it to the file BITBUCKET_TOKEN_FILE names (read again at the next pass, no restart), or set BITBUCKET_TOKEN and restart; then run \`pandev-bitbucket check\`. Or leave the repository out with BITBUCKET_REPOS=!${repo.selector}`;
}

/** Every Cloud scope the bridge's reads need: the Forge app's (manifest.yml), which reads the same. */
export const API_TOKEN_SCOPES = 'read:repository:bitbucket, read:pullrequest:bitbucket, read:pipeline:bitbucket, read:user:bitbucket and read:workspace:bitbucket';
export const ACCESS_TOKEN_SCOPES = 'Repositories: Read, Pull requests: Read and Pipelines: Read';

/** The scope a Cloud request needs, from what it asked for (its endpoint or its `next` page's path). */
function scopeFor(error: BitbucketError): { apiToken: string; accessToken: string; what: string } {
  if (/pullrequest/i.test(error.path)) return { apiToken: 'read:pullrequest:bitbucket', accessToken: 'Pull requests: Read', what: 'pull requests' };
  if (/^GET user\b|\/users\//.test(error.path)) return { apiToken: 'read:user:bitbucket', accessToken: 'Account: Read', what: 'the accounts of pull requests\' authors and reviewers' };
  if (/deployment|environment|pipeline/i.test(error.path)) return { apiToken: 'read:pipeline:bitbucket', accessToken: 'Pipelines: Read', what: 'deployments' };
  return { apiToken: 'read:repository:bitbucket', accessToken: 'Repositories: Read', what: 'commits, branches and build statuses' };
}

function sharedReason(error: BitbucketError): string | undefined {
  if (error.kind === 'rate-limited') {
    return `${error.message} — Bitbucket's rate limit for the token's user, still refused after the bridge waited: the repository is tried again next pass. If it lasts, lower BITBUCKET_REQUESTS_PER_SECOND or raise BRIDGE_POLL_SECONDS, and check what else uses the same user's budget (Cloud counts requests per rolling hour)`;
  }
  if (error.kind === 'server' || error.kind === 'network' || error.kind === 'malformed') {
    return `${error.message} — Bitbucket (or a proxy in front of it) did not serve this answer: the repository is tried again next pass; nothing to change here unless it lasts`;
  }
  return undefined;
}
