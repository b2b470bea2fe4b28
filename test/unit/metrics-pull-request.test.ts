import { DeploymentFacts, PullRequestFacts } from '../../src/core/metrics/facts';
import { pullRequestMetrics, type PullRequestInput } from '../../src/core/metrics/pull-request';

// Hand-computed cases on one timeline: first commit 08:00, opened 10:00, first review 10:30, merged the
// next day at 10:30, deployed to production at 12:00. So coding 2 h, pickup 30 min, review 24 h,
// deploy 1 h 30 min, lead 27 h 30 min (= 7200 + 1800 + 86400 + 5400 = 100800 s).

const REPO = '{6f1c2b8e-0000-4000-8000-00000000feed}';
const MERGE = '4f8f6de9d0ff';
const MERGE_FULL = `${MERGE}bd3c0b4d2c1a5e0f9e8d7c6b5a49`;
const at = (iso: string) => Date.parse(iso);

const pr = (overrides: Partial<PullRequestFacts> = {}) =>
  PullRequestFacts.parse({
    repository: REPO, id: 7, author: '{author}', state: 'MERGED',
    firstCommitOn: '2024-05-01T08:00:00Z', createdOn: '2024-05-01T10:00:00Z',
    firstReview: { at: '2024-05-01T10:30:00Z', by: '{reviewer}', kind: 'approval' },
    mergedOn: '2024-05-02T10:30:00Z', mergeCommit: MERGE,
    size: { linesAdded: 120, linesRemoved: 30, files: 4 }, ...overrides,
  });

let seq = 0;
const deployment = (completedOn: string, commit: string, overrides: Partial<DeploymentFacts> = {}) =>
  DeploymentFacts.parse({
    repository: REPO, uuid: `{dep-${++seq}}`, environment: { uuid: '{prod}', name: 'Production', type: 'Production' },
    result: 'SUCCESSFUL', completedOn, commit, ...overrides,
  });

const input = (overrides: Partial<PullRequestInput> = {}): PullRequestInput => ({
  deployments: [deployment('2024-05-02T12:00:00Z', MERGE_FULL)],
  contains: () => false,
  now: at('2024-05-10T00:00:00Z'), windowStart: at('2024-04-10T00:00:00Z'), ...overrides,
});

describe('pull request times', () => {
  it('measures each part of a merged and deployed pull request, and the parts add up to the lead time', () => {
    const contains = jest.fn(() => false);
    const m = pullRequestMetrics(pr(), input({ contains }));
    expect(m).toMatchObject({
      coding: { seconds: 7200 }, pickup: { seconds: 1800 }, review: { seconds: 86_400 }, deploy: { seconds: 5400 },
      lead: { seconds: 100_800, basis: 'deployment' }, size: { linesAdded: 120, linesRemoved: 30, files: 4 },
    });
    // A 12-character merge hash matches the deployment's 40-character one without asking the graph.
    expect(contains).not.toHaveBeenCalled();
  });

  it('counts coding time as 0 when the first commit is dated after the opening, and starts the lead time at the opening', () => {
    const m = pullRequestMetrics(pr({ firstCommitOn: '2024-05-01T11:00:00Z' }), input());
    expect(m.coding).toEqual({ seconds: 0 });
    expect(m.lead).toEqual({ seconds: 1800 + 86_400 + 5400, basis: 'deployment' });
  });

  it('takes the first successful production deployment after the merge that contains the merge commit', () => {
    const later = 'c'.repeat(40);
    const deployments = [
      deployment('2024-05-02T09:00:00Z', 'a'.repeat(40)), // before the merge
      deployment('2024-05-02T10:45:00Z', 'b'.repeat(40), { environment: { uuid: '{stg}', name: 'Staging', type: 'Staging' } }),
      deployment('2024-05-02T11:00:00Z', later, { result: 'FAILED' }),
      deployment('2024-05-02T11:30:00Z', 'd'.repeat(40)), // contains() says no
      deployment('2024-05-02T13:00:00Z', later),
    ];
    const contains = (commit: string) => commit === later;
    const m = pullRequestMetrics(pr(), input({ deployments, contains }));
    expect(m.deploy).toEqual({ seconds: 2.5 * 3600, deployedAt: at('2024-05-02T13:00:00Z') / 1000 });
    expect(m.lead).toEqual({ seconds: 7200 + 1800 + 86_400 + 2.5 * 3600, basis: 'deployment' });
  });

  it('says so when it cannot tell whether a deployment includes the merge commit, and offers the time to merge', () => {
    const unjudged = deployment('2024-05-02T11:00:00Z', 'e'.repeat(40));
    const m = pullRequestMetrics(pr(), input({ deployments: [unjudged], contains: () => undefined, now: at('2024-05-02T20:00:00Z') }));
    // The deployment is named, so the commits that settle it can revisit the comment.
    expect(m.deploy).toEqual({ unavailable: 'cannot tell whether the deployment of eeeeeeeeeeee includes the merge commit', undecided: unjudged.uuid });
    expect(m.lead).toEqual({ unavailable: 'cannot tell whether the deployment of eeeeeeeeeeee includes the merge commit', toMerge: { seconds: 95_400 } });
  });

  it('lets a later deployment settle it once one the commits seen cannot judge has stayed so a day', () => {
    // A hotfix from an old release branch whose base the app never saw, then main with the merge.
    const hotfix = deployment('2024-05-02T11:00:00Z', 'e'.repeat(40));
    const main = deployment('2024-05-02T12:00:00Z', 'c'.repeat(40));
    const contains = (commit: string) => (commit === main.commit ? true : undefined);
    const sameDay = pullRequestMetrics(pr(), input({ deployments: [hotfix, main], contains, now: at('2024-05-02T20:00:00Z') }));
    expect(sameDay.deploy).toEqual({ unavailable: 'cannot tell whether the deployment of eeeeeeeeeeee includes the merge commit', undecided: hotfix.uuid });
    const dayOn = pullRequestMetrics(pr(), input({ deployments: [hotfix, main], contains, now: at('2024-05-03T11:00:00Z') }));
    expect(dayOn.deploy).toEqual({ seconds: 5400, deployedAt: at('2024-05-02T12:00:00Z') / 1000 });
    // None later includes it: still not told, and nothing more to revisit it for.
    const alone = pullRequestMetrics(pr(), input({ deployments: [hotfix], contains, now: at('2024-05-03T11:00:00Z') }));
    expect(alone.deploy).toEqual({ unavailable: 'cannot tell whether the deployment of eeeeeeeeeeee includes the merge commit' });
  });

  it('falls back to first commit → merge when the repository has no production deployments', () => {
    const staging = deployment('2024-05-02T12:00:00Z', MERGE_FULL, { environment: { uuid: '{stg}', name: 'Staging', type: 'Staging' } });
    const m = pullRequestMetrics(pr(), input({ deployments: [staging] }));
    expect(m.deploy).toEqual({ unavailable: 'no production deployments in this repository' });
    expect(m.lead).toEqual({ seconds: 7200 + 1800 + 86_400, basis: 'merge' });
  });

  it('is not deployed yet when production deployments exist but none includes the merge', () => {
    const m = pullRequestMetrics(pr(), input({ deployments: [deployment('2024-05-01T09:00:00Z', 'f'.repeat(40))] }));
    expect(m.deploy).toEqual({ unavailable: 'not deployed to production yet' });
    expect(m.lead).toEqual({ unavailable: 'not deployed to production yet', toMerge: { seconds: 95_400 } });
  });

  it('ignores deployments dated after now', () => {
    const deployments = [deployment('2024-05-01T09:00:00Z', 'f'.repeat(40)), deployment('2024-05-02T12:00:00Z', MERGE_FULL)];
    const m = pullRequestMetrics(pr(), input({ deployments, now: at('2024-05-02T11:00:00Z') }));
    expect(m.deploy).toEqual({ unavailable: 'not deployed to production yet' });
  });

  it('shows an open pull request so far when live: pickup counts up to now', () => {
    const open = pr({ state: 'OPEN', mergedOn: undefined, mergeCommit: undefined, firstReview: undefined });
    const now = at('2024-05-01T13:15:00Z');
    expect(pullRequestMetrics(open, input({ now, live: true }))).toMatchObject({
      coding: { seconds: 7200 }, pickup: { seconds: 3 * 3600 + 900, running: true },
      review: { unavailable: 'no review by anyone other than the author yet' },
      deploy: { unavailable: 'not merged yet' }, lead: { unavailable: 'not merged yet' },
    });
    expect(pullRequestMetrics(open, input({ now })).pickup).toEqual({ unavailable: 'no review by anyone other than the author yet' });
  });

  it('counts review time up to now on a reviewed open pull request when live', () => {
    const open = pr({ state: 'OPEN', mergedOn: undefined, mergeCommit: undefined });
    const m = pullRequestMetrics(open, input({ now: at('2024-05-01T12:30:00Z'), live: true }));
    expect(m.pickup).toEqual({ seconds: 1800 });
    expect(m.review).toEqual({ seconds: 7200, running: true });
    expect(pullRequestMetrics(open, input()).review).toEqual({ unavailable: 'not merged yet' });
  });

  it.each([
    ['force-pushed', 'first commit not seen: the branch was force-pushed'],
    ['source-unknown', 'first commit not seen: the branch was pushed before the app watched this repository'],
    ['older-than-window', 'first commit not seen: it is older than the window the app read'],
    ['undated', 'first commit time unknown: Bitbucket gave none of its commits a date'],
  ] as const)('explains a first commit that is not known (%s)', (why, reason) => {
    const m = pullRequestMetrics(pr({ firstCommitOn: undefined, firstCommitUnavailable: why }), input());
    expect(m.coding).toEqual({ unavailable: reason });
    expect(m.lead).toEqual({ unavailable: reason });
    expect(m.deploy).toEqual({ seconds: 5400, deployedAt: at('2024-05-02T12:00:00Z') / 1000 });
  });

  it('calls a pull request opened before the window without a known first commit older than the window', () => {
    const old = pr({ firstCommitOn: undefined, createdOn: '2024-04-01T00:00:00Z', firstReview: undefined });
    const m = pullRequestMetrics(old, input());
    expect(m.coding).toEqual({ unavailable: 'older than the 30-day window' });
    expect(m.lead).toEqual({ unavailable: 'older than the 30-day window' });
    expect(pullRequestMetrics(pr({ firstCommitOn: undefined }), input()).coding).toEqual({ unavailable: 'first commit not seen yet' });
  });

  it('treats a first review after the merge as no review before it', () => {
    const m = pullRequestMetrics(pr({ firstReview: { at: '2024-05-03T00:00:00Z', by: '{reviewer}', kind: 'comment' } }), input());
    expect(m.pickup).toEqual({ unavailable: 'merged without a review by anyone other than the author' });
    expect(m.review).toEqual(m.pickup);
    expect(m.lead).toEqual({ seconds: 100_800, basis: 'deployment' });
  });

  it('explains declined pull requests and missing sizes', () => {
    const m = pullRequestMetrics(pr({ state: 'DECLINED', mergedOn: undefined, mergeCommit: undefined, size: undefined }), input());
    expect(m).toMatchObject({
      pickup: { seconds: 1800 }, review: { unavailable: 'declined without merging' },
      deploy: { unavailable: 'declined without merging' }, size: { unavailable: 'size not known yet' },
    });
  });

  it('needs the merge commit to find its deployment', () => {
    const m = pullRequestMetrics(pr({ mergeCommit: undefined }), input());
    expect(m.deploy).toEqual({ unavailable: 'merge commit not known' });
    expect(m.lead).toEqual({ unavailable: 'merge commit not known', toMerge: { seconds: 95_400 } });
  });

  it('gives no time at all when the opening time cannot be read', () => {
    const m = pullRequestMetrics(pr({ createdOn: 'yesterday' }), input());
    for (const figure of [m.coding, m.pickup, m.review, m.deploy, m.lead]) expect(figure).toEqual({ unavailable: 'opening time not known' });
  });
});
