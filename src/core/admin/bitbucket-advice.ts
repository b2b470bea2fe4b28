import { BitbucketError, errorMessage } from '../errors';

// A Bitbucket failure as the settings page says it: what happened and what to do. The raw error (a
// request path and Bitbucket's JSON body) helps the logs, not the admin.

export function bitbucketAdvice(error: unknown, retry = 'try again'): string {
  if (!(error instanceof BitbucketError)) return `Bitbucket did not answer as expected: ${errorMessage(error)}. Wait a few minutes and ${retry}.`;
  switch (error.kind) {
    case 'unauthorized':
    case 'forbidden':
      return `Bitbucket refused the app (${error.status}). Check that PanDev Metrics is still installed in this workspace with the permissions it asked for; reinstall it if it was removed.`;
    case 'rate-limited':
      return `Bitbucket is rate-limiting the app right now. Wait a few minutes and ${retry}: the limit is per hour and frees up on its own.`;
    case 'server':
      return `Bitbucket is having trouble (it answered ${error.status ?? 'with an error'}). Wait a few minutes and ${retry}; bitbucket.status.atlassian.com says whether there is an incident.`;
    case 'network':
      return `Bitbucket did not answer in time. Wait a few minutes and ${retry}.`;
    default:
      return `Bitbucket did not answer as expected (${error.status ?? error.kind}). Wait a few minutes and ${retry}; if it keeps happening, reinstall PanDev Metrics in this workspace.`;
  }
}
