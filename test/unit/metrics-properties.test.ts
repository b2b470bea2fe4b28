import fc from 'fast-check';
import { band, BANDS, type BandedMetric } from '../../src/core/metrics/bands';
import type { DeploymentFacts, PullRequestFacts } from '../../src/core/metrics/facts';
import { isMeasured } from '../../src/core/metrics/figures';
import { pullRequestMetrics, type PullRequestMetrics } from '../../src/core/metrics/pull-request';
import { repositoryMetrics } from '../../src/core/metrics/repository';

// Properties over generated facts. Times are drawn in milliseconds (with fractions of a second, so the
// rounding to whole seconds is exercised) around a fixed instant, in any order: first commits after the
// opening, reviews before it, merges stamped before the opening, deployments before the merge.

const T0 = Date.parse('2024-06-01T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const REPO = '{repo}';
const iso = (ms: number) => new Date(ms).toISOString();
// Half on an hourly grid, so that facts often share a timestamp and the tie-breaks are exercised.
const time = fc.oneof(fc.integer({ min: -20 * DAY, max: 20 * DAY }), fc.integer({ min: -480, max: 480 }).map((hours) => hours * HOUR)).map((offset) => T0 + offset);
const mergeCommits = ['1111111111aa', '2222222222bb', '3333333333cc'];
const deployedCommit = fc.oneof(
  fc.constantFrom(...mergeCommits).map((hash) => hash.padEnd(40, 'e')), // the merge commit itself
  fc.constantFrom('a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)),
);

const pullRequest: fc.Arbitrary<PullRequestFacts> = fc
  .record({
    id: fc.integer({ min: 1, max: 50 }), state: fc.constantFrom('OPEN', 'MERGED', 'DECLINED' as const), created: time,
    first: fc.option(time, { nil: undefined }), review: fc.option(time, { nil: undefined }), merged: fc.option(time, { nil: undefined }),
    mergeCommit: fc.option(fc.constantFrom(...mergeCommits), { nil: undefined }), revert: fc.boolean(),
    firstCommitUnavailable: fc.option(fc.constantFrom('source-unknown', 'older-than-window', 'force-pushed' as const), { nil: undefined }),
  })
  .map((p) => ({
    repository: REPO, id: p.id, title: '', state: p.state, createdOn: iso(p.created), revert: p.revert,
    ...(p.first !== undefined ? { firstCommitOn: iso(p.first) } : { firstCommitUnavailable: p.firstCommitUnavailable }),
    ...(p.review !== undefined ? { firstReview: { at: iso(p.review), by: '{reviewer}', kind: 'approval' as const } } : {}),
    ...(p.state === 'MERGED' ? { mergedOn: p.merged === undefined ? undefined : iso(p.merged), mergeCommit: p.mergeCommit } : {}),
  }));

const deployment: fc.Arbitrary<DeploymentFacts> = fc
  .record({
    environment: fc.constantFrom({ uuid: 'P', type: 'Production' }, { uuid: 'Q', name: 'production' }, { uuid: 'S', type: 'Staging' }),
    result: fc.constantFrom('SUCCESSFUL', 'SUCCESSFUL', 'FAILED', 'STOPPED'), completed: time, commit: deployedCommit,
  })
  .map((d) => ({ repository: REPO, uuid: '', environment: d.environment, result: d.result, completedOn: iso(d.completed), commit: d.commit }));

/** Distinct uuids, as Bitbucket gives them; the order of the facts is what the tests shuffle. */
const deployments = fc.array(deployment, { maxLength: 25 }).map((list) => list.map((d, i) => ({ ...d, uuid: `{d${i}}` })));
const contains = fc.func(fc.constantFrom(true, false, false, undefined)) as fc.Arbitrary<(a: string, b: string) => boolean | undefined>;
const now = fc.integer({ min: 0, max: 25 * DAY }).map((offset) => T0 + offset);

function permute<T>(items: T[], keys: number[]): T[] {
  return items.map((item, i) => ({ item, key: keys[i % Math.max(1, keys.length)]! * 1000 + i })).sort((a, b) => a.key - b.key).map((x) => x.item);
}

function durations(m: PullRequestMetrics): number[] {
  const figures = [m.coding, m.pickup, m.review, m.deploy, m.lead].filter(isMeasured).map((f) => f.seconds);
  return 'toMerge' in m.lead && m.lead.toMerge ? [...figures, m.lead.toMerge.seconds] : figures;
}

describe('properties of the metrics', () => {
  it('the parts of a pull request add up to its lead time, whatever order its facts are dated in', () => {
    // Built so that every figure is available: merged, reviewed before the merge, deployed after it.
    const complete = fc.record({
      created: time, firstOffset: fc.integer({ min: -10 * DAY, max: 10 * DAY }), mergeOffset: fc.integer({ min: -HOUR, max: 10 * DAY }),
      reviewShare: fc.double({ min: -0.2, max: 1, noNaN: true }), deployDelay: fc.integer({ min: 0, max: 5 * DAY }),
    });
    fc.assert(
      fc.property(complete, deployments, contains, ({ created, firstOffset, mergeOffset, reviewShare, deployDelay }, others, contains) => {
        const merged = created + mergeOffset;
        const reviewed = Math.min(merged, created + Math.round(reviewShare * Math.max(0, mergeOffset)));
        const deployedAt = Math.max(merged, created) + deployDelay;
        const pr: PullRequestFacts = {
          repository: REPO, id: 1, title: '', state: 'MERGED', revert: false, createdOn: iso(created), firstCommitOn: iso(created + firstOffset),
          firstReview: { at: iso(reviewed), by: '{reviewer}', kind: 'comment' }, mergedOn: iso(merged), mergeCommit: mergeCommits[0],
        };
        const ours: DeploymentFacts = { repository: REPO, uuid: '{ours}', environment: { uuid: 'P', type: 'Production' }, result: 'SUCCESSFUL', completedOn: iso(deployedAt), commit: mergeCommits[0]!.padEnd(40, 'e') };
        // Other deployments may be picked first when they contain the merge; the sums must hold either way.
        const m = pullRequestMetrics(pr, { deployments: [...others, ours], contains: (a, b) => contains(a, b) ?? false, now: deployedAt + DAY, windowStart: T0 - 40 * DAY });
        if (!isMeasured(m.coding) || !isMeasured(m.pickup) || !isMeasured(m.review) || !isMeasured(m.deploy) || !isMeasured(m.lead)) throw new Error(`a figure is missing: ${JSON.stringify(m)}`);
        expect(m.coding.seconds + m.pickup.seconds + m.review.seconds + m.deploy.seconds).toBe(m.lead.seconds);
        expect(m.lead.basis).toBe('deployment');
        // The same pull request in a repository without production deployments: the parts add up to the merge.
        const toMerge = pullRequestMetrics(pr, { deployments: [], contains: () => false, now: deployedAt, windowStart: T0 - 40 * DAY }).lead;
        expect(toMerge).toEqual({ seconds: m.coding.seconds + m.pickup.seconds + m.review.seconds, basis: 'merge' });
      }),
    );
  });

  it('a pull request never gets a negative or fractional time, and whatever parts exist never exceed the whole', () => {
    fc.assert(
      fc.property(pullRequest, deployments, contains, now, fc.boolean(), (pr, deployments, contains, now, live) => {
        const m = pullRequestMetrics(pr, { deployments, contains, now, windowStart: now - 30 * DAY, live });
        for (const seconds of durations(m)) expect(Number.isInteger(seconds) && seconds >= 0).toBe(true);
        const toMerge = isMeasured(m.lead) ? (m.lead.basis === 'merge' ? m.lead.seconds : undefined) : m.lead.toMerge?.seconds;
        if (isMeasured(m.coding) && isMeasured(m.pickup) && isMeasured(m.review) && toMerge !== undefined) {
          expect(m.coding.seconds + m.pickup.seconds + m.review.seconds).toBe(toMerge);
        }
        if ([m.coding, m.pickup, m.review, m.deploy].every(isMeasured) && isMeasured(m.lead) && m.lead.basis === 'deployment') {
          expect([m.coding, m.pickup, m.review, m.deploy].reduce((sum, f) => sum + (isMeasured(f) ? f.seconds : 0), 0)).toBe(m.lead.seconds);
        }
      }),
    );
  });

  it('repository figures are never negative, and rates stay between 0 and 1', () => {
    fc.assert(
      fc.property(fc.array(pullRequest, { maxLength: 20 }), deployments, contains, now, fc.integer({ min: 1, max: 90 }), (pullRequests, deployments, contains, now, days) => {
        const m = repositoryMetrics({ pullRequests, deployments, contains, now, days });
        const numbers = [m.deploymentFrequency, m.leadTime, m.changeFailureRate, m.recoveryTime].filter(isMeasured).flatMap((f) => Object.values(f).filter((v) => typeof v === 'number'));
        for (const value of numbers) expect(value).toBeGreaterThanOrEqual(0);
        if (isMeasured(m.changeFailureRate)) expect(m.changeFailureRate.rate).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('repository and pull request figures do not depend on the order of the facts', () => {
    fc.assert(
      fc.property(fc.array(pullRequest, { maxLength: 20 }), deployments, contains, now, fc.array(fc.integer(), { minLength: 1, maxLength: 30 }), (pullRequests, deployments, contains, now, keys) => {
        const shuffled = { pullRequests: permute(pullRequests, keys), deployments: permute(deployments, [...keys].reverse()) };
        expect(repositoryMetrics({ ...shuffled, contains, now })).toEqual(repositoryMetrics({ pullRequests, deployments, contains, now }));
        for (const pr of pullRequests.slice(0, 3)) {
          const input = { contains, now, windowStart: now - 30 * DAY };
          expect(pullRequestMetrics(pr, { ...input, deployments: shuffled.deployments })).toEqual(pullRequestMetrics(pr, { ...input, deployments }));
        }
      }),
    );
  });

  it.each<[BandedMetric, 'higher' | 'lower', number[]]>([
    ['deploymentFrequency', 'higher', [0, 1 / 30, 1 / 7, 1, 10]],
    ['leadTime', 'lower', [0, 86_400, 7 * 86_400, 30 * 86_400, 180 * 86_400]],
    ['changeFailureRate', 'lower', [0, 0.05, 0.1, 0.2, 0.3, 0.4, 1]],
    ['recoveryTime', 'lower', [0, 3600, 86_400, 7 * 86_400, 30 * 86_400]],
  ])('a better %s never gets a worse band (%s is better)', (metric, better, boundaries) => {
    const max = boundaries.at(-1)! * 2;
    const value = fc.oneof(fc.constantFrom(...boundaries), fc.double({ min: 0, max, noNaN: true }), fc.constantFrom(...boundaries).map((b) => b * (1 + Number.EPSILON)));
    const rank = (v: number) => BANDS.indexOf(band(metric, v));
    fc.assert(
      fc.property(value, value, (a, b) => {
        const [good, bad] = (better === 'higher' ? a >= b : a <= b) ? [a, b] : [b, a];
        expect(rank(good)).toBeLessThanOrEqual(rank(bad));
      }),
    );
    // Every band is reachable, so the scale is not degenerate.
    expect(new Set(boundaries.concat(max).map((v) => band(metric, v)))).toEqual(new Set(BANDS));
  });
});
