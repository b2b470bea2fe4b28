import type { ChangeOf } from '../../src/core/change/change';
import { namedReviewers } from '../../src/core/enrich/cloud/reviewer-names';
import type { PullRequest } from '../../src/core/enrich/cloud/schema';

const change = (...users: Array<{ uuid?: string; accountId?: string }>): ChangeOf<'reviewer'> => ({
  edition: 'cloud', workspace: '{w}', repository: { uuid: '{r}' }, origin: 'trigger', at: '2026-11-20T10:00:00Z',
  kind: 'reviewer', pullRequestId: 1, reviewers: users.map((user) => ({ user, status: 'approved', at: '2026-11-20T10:01:00Z' })),
});

const pullRequest = (listed: Partial<PullRequest>): PullRequest => ({
  type: 'pullrequest', id: 1, state: 'OPEN', created_on: '2026-11-20T09:00:00Z', updated_on: '2026-11-20T10:01:00Z',
  source: {}, destination: {}, ...listed,
});

const named = (c: ChangeOf<'reviewer'>) => c.reviewers.map((reviewer) => reviewer.user);

describe('naming a uuid-only reviewer by account id from the pull request', () => {
  it('takes the account id of the participant or reviewer with that uuid, whatever its case', () => {
    const pr = pullRequest({
      participants: [{ user: { type: 'user', uuid: '{AAAA}', account_id: 'acc-a' }, role: 'PARTICIPANT' }],
      reviewers: [{ type: 'user', uuid: '{bbbb}', account_id: 'acc-b' }],
    });
    expect(named(namedReviewers(change({ uuid: '{aaaa}' }, { uuid: '{bbbb}' }), pr))).toEqual([
      { uuid: '{aaaa}', accountId: 'acc-a' },
      { uuid: '{bbbb}', accountId: 'acc-b' },
    ]);
  });

  it('leaves a reviewer the pull request no longer lists named by uuid alone, as before', () => {
    const pr = pullRequest({ participants: [{ user: { type: 'user', uuid: '{other}', account_id: 'acc-o' } }] });
    expect(named(namedReviewers(change({ uuid: '{gone}' }), pr))).toEqual([{ uuid: '{gone}' }]);
    expect(named(namedReviewers(change({ uuid: '{gone}' }), pullRequest({})))).toEqual([{ uuid: '{gone}' }]);
  });

  it('keeps an account id the event gave', () => {
    const pr = pullRequest({ participants: [{ user: { type: 'user', uuid: '{aaaa}', account_id: 'acc-listed' } }] });
    expect(named(namedReviewers(change({ uuid: '{aaaa}', accountId: 'acc-event' }, { accountId: 'acc-only' }), pr))).toEqual([
      { uuid: '{aaaa}', accountId: 'acc-event' },
      { accountId: 'acc-only' },
    ]);
  });
});
