// Reviewer decisions. Bitbucket keeps one state per participant (approved, changes requested or none)
// and shows only the current decisions in the activity log, so clearing one removes its entry.
import { SimConflictError } from '../../sim-common/errors';
import { forgeActor, forgePullRequest, repositoryScope } from '../events/build';
import type { ReviewerStatus, ReviewerStatusEvent } from '../events/types';
import type { Participant, PullRequest, Repository, SimUser } from '../model/types';
import { isoApi, type Micros } from '../util/time';
import type { Emitted, OpContext } from './context';
import { requireOpen } from './pull-requests';

export type ReviewDecision = 'approve' | 'unapprove' | 'request-changes' | 'remove-change-request';

/** The author takes part in their own pull request without being listed as a participant. */
export function participate(pr: PullRequest, user: SimUser, at: Micros): Participant | undefined {
  if (user.uuid === pr.authorUuid) return undefined;
  let participant = pr.participants.find((candidate) => candidate.userUuid === user.uuid);
  if (!participant) {
    participant = {
      userUuid: user.uuid, role: pr.reviewerUuids.includes(user.uuid) ? 'REVIEWER' : 'PARTICIPANT',
      approved: false, state: null, participatedOn: at,
    };
    pr.participants.push(participant);
  }
  participant.participatedOn = at;
  return participant;
}

function dropEntries(pr: PullRequest, user: SimUser, kinds: readonly ('approval' | 'changes_request')[]): void {
  pr.activity = pr.activity.filter((entry) =>
    !((entry.kind === 'approval' || entry.kind === 'changes_request') && kinds.includes(entry.kind) && entry.userUuid === user.uuid));
}

export function review(ctx: OpContext, repo: Repository, pr: PullRequest, user: SimUser, decision: ReviewDecision): Emitted {
  requireOpen(pr);
  if (user.uuid === pr.authorUuid) throw new SimConflictError('authors cannot review their own pull request');
  const current = pr.participants.find((candidate) => candidate.userUuid === user.uuid);
  const needs: Record<ReviewDecision, boolean> = {
    'approve': !current?.approved,
    'unapprove': current?.approved === true,
    'request-changes': current?.state !== 'changes_requested',
    'remove-change-request': current?.state === 'changes_requested',
  };
  if (!needs[decision]) throw new SimConflictError(`cannot ${decision}: reviewer state is ${current?.state ?? 'none'}`);
  const at = ctx.model.stamp(ctx.at);
  const participant = participate(pr, user, at) as Participant;
  let status: ReviewerStatus = null;
  if (decision === 'approve' || decision === 'request-changes') {
    status = decision === 'approve' ? 'approved' : 'changes_requested';
    dropEntries(pr, user, ['approval', 'changes_request']);
    pr.activity.push({ kind: status === 'approved' ? 'approval' : 'changes_request', date: at, userUuid: user.uuid });
  } else {
    dropEntries(pr, user, [decision === 'unapprove' ? 'approval' : 'changes_request']);
  }
  participant.approved = status === 'approved';
  participant.state = status;
  pr.updatedOn = at;
  const event: ReviewerStatusEvent = {
    eventType: 'avi:bitbucket:updated:pullrequest-reviewer-status',
    ...repositoryScope(ctx.model, repo, user, at),
    pullrequest: forgePullRequest(ctx.model, pr),
    // The same string as the activity entry's `date`, so live events and later reads agree.
    reviewers: { value: [{ user: forgeActor(user), status, timestamp: isoApi(at) }], truncated: false },
  };
  return { events: [event] };
}
