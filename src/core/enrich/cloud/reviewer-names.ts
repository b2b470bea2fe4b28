import type { ChangeOf } from '../../change/change';
import type { PullRequest } from './schema';

// Reviewers are named by account id in delivery ids and kept statuses (change/intents.ts reviewerKey).
// A Forge reviewer event may name one by uuid only; the reconciliation, reading the activity log, has
// both, so the two named one approval apart and PanDev got it twice (and an unapproval named the other
// way found no approval to end). The pull request the bodies are built from lists its participants and
// reviewers with both ids: it is read before staging instead of after (change-preparer.ts).

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
