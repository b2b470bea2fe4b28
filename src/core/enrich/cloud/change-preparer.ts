import type { Change, ChangeOf } from '../../change/change';
import type { ChangePreparer } from '../../pipeline/context';
import type { KeyValueStore } from '../../ports';
import { cloudBodyBuilder } from './body-builder';
import type { CloudClient } from './client';
import type { Lookups } from './lookups';
import { namedReviewers } from './reviewer-names';
import { PullRequest, PullRequestComment } from './schema';

// A live change is named in delivery ids before its body is built, and the reconciliation names the
// same change from the activity log: where the Forge event lacks what that name is made of, the read
// the body needs anyway is made before staging instead of after, and the body reuses it.
// - a reviewer given by uuid only: the activity log names reviewers by account id (reviewer-names.ts);
// - a comment edit: the event's timestamp is when Forge emitted it, after the edit; the activity log
//   dates the edit by the comment's `updated_on`, so the two named one edit apart and PanDev got it twice.

function lacksAccountId(change: Change): change is ChangeOf<'reviewer'> {
  return change.kind === 'reviewer' && change.edition === 'cloud' && change.reviewers.some((reviewer) => !reviewer.user.accountId && reviewer.user.uuid);
}

function isUndatedEdit(change: Change): change is ChangeOf<'comment'> {
  return change.kind === 'comment' && change.edition === 'cloud' && change.action === 'updated' && change.updatedOn === undefined;
}

/**
 * The Cloud preparer: one read (the pull request, or the edited comment) for the changes above; every
 * other change goes on untouched. A failed read throws to the caller (pipeline/forward.ts), which has
 * the host retry it, or stages the change as given.
 */
export function cloudChangePreparer(client: CloudClient, store: KeyValueStore, lookups: Lookups): ChangePreparer {
  return async (change) => {
    if (isUndatedEdit(change)) {
      const params = { workspace: change.workspace, repo_slug: change.repository.uuid, pull_request_id: change.pullRequestId, comment_id: change.commentId };
      const comment = await client.get({ endpoint: 'pullRequestComment', params }, PullRequestComment);
      // No `updated_on` in the answer: the event's time is the best left (as before this read).
      const dated = comment.updated_on ? { ...change, updatedOn: comment.updated_on } : change;
      return { change: dated, buildBody: cloudBodyBuilder(client, store, lookups, { comment }) };
    }
    if (!lacksAccountId(change)) return undefined;
    const params = { workspace: change.workspace, repo_slug: change.repository.uuid, pull_request_id: change.pullRequestId };
    const pullrequest = await client.get({ endpoint: 'pullRequest', params }, PullRequest);
    return { change: namedReviewers(change, pullrequest), buildBody: cloudBodyBuilder(client, store, lookups, { pullrequest }) };
  };
}
