import type { Change, ChangeOf } from '../../change/change';
import type { ChangePreparer } from '../../pipeline/context';
import type { KeyValueStore } from '../../ports';
import { cloudBodyBuilder } from './body-builder';
import type { CloudClient } from './client';
import type { Lookups } from './lookups';
import { PullRequest } from './schema';

// Reviewers are named by account id in delivery ids and kept statuses (change/intents.ts reviewerKey).
// A Forge reviewer event may name one by uuid only; the reconciliation, reading the activity log, has
// both, so the two named one approval apart and PanDev got it twice (and an unapproval named the other
// way found no approval to end). The pull request the bodies are built from lists its participants and
// reviewers with both ids: it is read before staging instead of after, and the bodies reuse that read.

/** Names the change's uuid-only reviewers by account id too, as the pull request lists them. */
export function namedReviewers(change: ChangeOf<'reviewer'>, pullrequest: PullRequest): ChangeOf<'reviewer'> {
  const people = [...(pullrequest.participants ?? []).map((participant) => participant.user), ...(pullrequest.reviewers ?? [])];
  const reviewers = change.reviewers.map((reviewer) => {
    const uuid = reviewer.user.uuid?.toLowerCase();
    if (reviewer.user.accountId || !uuid) return reviewer;
    // One no longer listed (removed from the pull request since) keeps the uuid alone, as before.
    const accountId = people.find((person) => person.uuid?.toLowerCase() === uuid && person.account_id)?.account_id;
    return accountId ? { ...reviewer, user: { ...reviewer.user, accountId } } : reviewer;
  });
  return { ...change, reviewers };
}

function lacksAccountId(change: Change): change is ChangeOf<'reviewer'> {
  return change.kind === 'reviewer' && change.edition === 'cloud' && change.reviewers.some((reviewer) => !reviewer.user.accountId && reviewer.user.uuid);
}

/**
 * The Cloud preparer: the pull request is read (the request its bodies would make anyway) only for a
 * reviewer change that lacks an account id; every other change goes on untouched. A failed read throws
 * to the caller (pipeline/forward.ts), which has the host retry it, or stages the change as given.
 */
export function cloudChangePreparer(client: CloudClient, store: KeyValueStore, lookups: Lookups): ChangePreparer {
  return async (change) => {
    if (!lacksAccountId(change)) return undefined;
    const params = { workspace: change.workspace, repo_slug: change.repository.uuid, pull_request_id: change.pullRequestId };
    const pullrequest = await client.get({ endpoint: 'pullRequest', params }, PullRequest);
    return { change: namedReviewers(change, pullrequest), buildBody: cloudBodyBuilder(client, store, lookups, pullrequest) };
  };
}
