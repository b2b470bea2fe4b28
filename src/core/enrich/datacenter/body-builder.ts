import { BitbucketError } from '../../errors';
import type { BodyBuilder } from '../../pipeline/context';
import { dcPullRequestBody } from '../../payload/datacenter';
import { serializeWithinLimit } from '../../payload/limit';
import type { DcClient } from './client';
import { PullRequest } from './schema';

/**
 * Bodies for Data Center deliveries staged without one. The poll and the webhook receiver stage every
 * delivery with its body (they hold the objects already), so this only serves a change queued by
 * another source: a pull request event is rebuilt from the pull request as it is now.
 */
export function datacenterBodyBuilder(client: DcClient): BodyBuilder {
  return async (change, intent) => {
    const [projectKey, repositorySlug] = (change.repository.slug ?? '').split('/');
    if ((change.kind === 'pullrequest' || change.kind === 'comment' || change.kind === 'reviewer') && projectKey && repositorySlug) {
      const pullRequest = await client.get({ endpoint: 'pullRequest', params: { projectKey, repositorySlug, pullRequestId: change.pullRequestId } }, PullRequest);
      return serializeWithinLimit(dcPullRequestBody({ actor: null, pullRequest }, intent, change));
    }
    throw new BitbucketError('client', undefined, intent.eventKey, `a ${intent.eventKey} body is built by the poll or the webhook that finds the event, and this delivery has none; the next poll delivers it again`);
  };
}
