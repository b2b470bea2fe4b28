import { DeploymentFacts, PullRequestFacts } from '../../src/core/metrics/facts';
import { repositoryMetrics } from '../../src/core/metrics/repository';

// A hand-computed month (now 2024-06-30T00:00Z, window from 2024-05-31T00:00Z):
// production, environment P: S 06-01 10:00 · F 06-05 10:00 · F 06-05 11:00 · S 06-05 12:00 (one outage
// of 2 h) · F 06-20 00:00 · S 06-20 00:30 (30 min) · and S 05-01 before the window.
// production, environment Q: F 06-29 (not recovered yet). Staging deployments never count.

const REPO = '{repo}';
const now = Date.parse('2024-06-30T00:00:00Z');
let seq = 0;
const deployment = (completedOn: string, result: string, commit: string, env = 'P') =>
  DeploymentFacts.parse({ repository: REPO, uuid: `{d${++seq}}`, environment: { uuid: env, type: env === 'S' ? 'Staging' : 'Production' }, result, completedOn, commit });
const merged = (id: number, firstCommitOn: string, mergedOn: string, mergeCommit: string, overrides: Partial<PullRequestFacts> = {}) =>
  PullRequestFacts.parse({ repository: REPO, id, state: 'MERGED', createdOn: firstCommitOn, firstCommitOn, mergedOn, mergeCommit, ...overrides });

const c = (ch: string) => ch.repeat(40);
const deployments = [
  deployment('2024-05-01T00:00:00Z', 'SUCCESSFUL', c('0')),
  deployment('2024-06-01T10:00:00Z', 'SUCCESSFUL', c('a')),
  deployment('2024-06-05T10:00:00Z', 'FAILED', c('b')),
  deployment('2024-06-05T11:00:00Z', 'FAILED', c('b')),
  deployment('2024-06-05T12:00:00Z', 'SUCCESSFUL', c('c')),
  deployment('2024-06-20T00:00:00Z', 'FAILED', c('d')),
  deployment('2024-06-20T00:30:00Z', 'SUCCESSFUL', c('e')),
  deployment('2024-06-29T00:00:00Z', 'FAILED', c('f'), 'Q'),
  deployment('2024-06-10T00:00:00Z', 'SUCCESSFUL', c('9'), 'S'),
  deployment('2024-06-10T01:00:00Z', 'FAILED', c('9'), 'S'),
];
// Which deployed commit contains which merge commit (the graph the app would consult).
const graph: Record<string, string[]> = { [c('c')]: ['bbbbbbbbbbbb'], [c('e')]: ['dddddddddddd', 'bbbbbbbbbbbb'] };
const contains = (deployed: string, mergeCommit: string) => graph[deployed]?.includes(mergeCommit) ?? false;
const pullRequests = [
  merged(1, '2024-05-31T12:00:00Z', '2024-06-01T08:00:00Z', 'aaaaaaaaaaaa'), // deployed 06-01 10:00: lead 22 h
  merged(2, '2024-06-04T10:00:00Z', '2024-06-05T09:00:00Z', 'bbbbbbbbbbbb'), // failed twice, deployed 06-05 12:00: lead 26 h
  merged(3, '2024-06-19T23:00:00Z', '2024-06-19T23:50:00Z', 'dddddddddddd', { revert: true }), // deployed 06-20 00:30: lead 1 h 30 min
  merged(4, '2024-06-24T00:00:00Z', '2024-06-25T00:00:00Z', '777777777777'), // not deployed yet: no lead time
  merged(5, '2024-05-01T00:00:00Z', '2024-05-10T00:00:00Z', '888888888888', { revert: true }), // merged before the window
  PullRequestFacts.parse({ repository: REPO, id: 6, state: 'OPEN', createdOn: '2024-06-28T00:00:00Z' }),
];

describe('repository metrics over the trailing window', () => {
  it('works out the four keys by hand', () => {
    expect(repositoryMetrics({ pullRequests, deployments, contains, now })).toEqual({
      days: 30,
      deploymentFrequency: { count: 3, perDay: 0.1, perWeek: 0.7 },
      leadTime: { seconds: 22 * 3600, basis: 'deployment', pullRequests: 3, merged: 4 },
      // 4 failed production deployments + 1 merged revert, over 3 successful + 4 failed.
      changeFailureRate: { rate: 5 / 7, failures: 5, reverts: 1, total: 7, basis: 'deployments' },
      recoveryTime: { seconds: (2 * 3600 + 1800) / 2, recoveries: 2, unrecovered: 1 },
    });
  });

  it('narrows to a shorter window', () => {
    const week = repositoryMetrics({ pullRequests, deployments, contains, now, days: 7 });
    expect(week.deploymentFrequency).toEqual({ count: 0, perDay: 0, perWeek: 0 });
    expect(week.leadTime).toEqual({ unavailable: 'the pull request merged in the last 7 days has no lead time yet' });
    expect(week.changeFailureRate).toEqual({ rate: 1, failures: 1, reverts: 0, total: 1, basis: 'deployments' });
    expect(week.recoveryTime).toEqual({ unavailable: 'no failed production deployment has been followed by a successful one yet' });
  });

  it('does not count an outage that began before the window', () => {
    const outage = [deployment('2024-06-10T00:00:00Z', 'FAILED', c('1')), deployment('2024-06-12T00:00:00Z', 'SUCCESSFUL', c('2'))];
    const m = repositoryMetrics({ pullRequests: [], deployments: outage, contains, now: Date.parse('2024-06-15T00:00:00Z'), days: 4 });
    expect(m.recoveryTime).toEqual({ unavailable: 'no failed production deployments in the last 4 days' });
    expect(m.deploymentFrequency).toEqual({ count: 1, perDay: 0.25, perWeek: 1.75 });
  });

  it('counts an outage still open as not recovered, even one that began before the window', () => {
    // Production has failed since 05-20 (before the window) and failed again on 06-25; Q recovered in 30 min.
    const failing = [
      deployment('2024-05-20T09:00:00Z', 'FAILED', c('1')),
      deployment('2024-06-25T09:00:00Z', 'FAILED', c('2')),
      deployment('2024-06-10T09:00:00Z', 'FAILED', c('3'), 'Q'),
      deployment('2024-06-10T09:30:00Z', 'SUCCESSFUL', c('4'), 'Q'),
    ];
    const m = repositoryMetrics({ pullRequests: [], deployments: failing, contains, now });
    expect(m.changeFailureRate).toEqual({ rate: 2 / 3, failures: 2, reverts: 0, total: 3, basis: 'deployments' });
    expect(m.recoveryTime).toEqual({ seconds: 1800, recoveries: 1, unrecovered: 1 });
    const stillFailing = repositoryMetrics({ pullRequests: [], deployments: failing.slice(0, 2), contains, now });
    expect(stillFailing.recoveryTime).toEqual({ unavailable: 'no failed production deployment has been followed by a successful one yet' });
  });

  it('says why there is no recovery time when the failures in the window continue an outage that began before it', () => {
    const outage = [
      deployment('2024-05-20T09:00:00Z', 'FAILED', c('1')),
      deployment('2024-06-02T09:00:00Z', 'FAILED', c('2')),
      deployment('2024-06-02T10:00:00Z', 'SUCCESSFUL', c('3')),
    ];
    const m = repositoryMetrics({ pullRequests: [], deployments: outage, contains, now });
    expect(m.changeFailureRate).toEqual({ rate: 1 / 2, failures: 1, reverts: 0, total: 2, basis: 'deployments' });
    expect(m.recoveryTime).toEqual({ unavailable: 'the failed production deployments in the last 30 days belong to an outage that began before them' });
  });

  it('measures lead time to the merge and failures against merged pull requests without production deployments', () => {
    const staging = deployments.filter((d) => d.environment.uuid === 'S');
    expect(repositoryMetrics({ pullRequests, deployments: staging, contains, now })).toEqual({
      days: 30,
      deploymentFrequency: { unavailable: 'no production deployments in this repository' },
      // To the merge: 20 h, 23 h, 50 min, 24 h.
      leadTime: { seconds: (20 + 23) * 3600 / 2, basis: 'merge', pullRequests: 4, merged: 4 },
      changeFailureRate: { rate: 1 / 4, failures: 1, reverts: 1, total: 4, basis: 'merged-pull-requests' },
      recoveryTime: { unavailable: 'no failed production deployments in the last 30 days' },
    });
  });

  it('explains an empty repository', () => {
    expect(repositoryMetrics({ pullRequests: [], deployments: [], contains, now })).toEqual({
      days: 30,
      deploymentFrequency: { unavailable: 'no production deployments in this repository' },
      leadTime: { unavailable: 'no pull requests merged in the last 30 days' },
      changeFailureRate: { unavailable: 'no production deployments or merged pull requests in the last 30 days' },
      recoveryTime: { unavailable: 'no failed production deployments in the last 30 days' },
    });
  });
});
