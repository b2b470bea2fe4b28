import type { PullRequestMetrics } from '../../src/core/metrics/pull-request';
import { DeploymentFacts, PullRequestFacts } from '../../src/core/metrics/facts';
import { repositoryMetrics, type RepositoryMetrics } from '../../src/core/metrics/repository';
import { BAND_THRESHOLDS, BANDS } from '../../src/core/metrics/bands';
import { BANDED } from '../../src/core/metrics/definitions';
import { cardModel, COMMENT_MARKER, COMMENT_TOKEN, formatDuration, renderComment } from '../../src/core/metrics/render';

const merged: PullRequestMetrics = {
  repository: '{repo}', id: 7, state: 'MERGED',
  coding: { seconds: 7200 }, pickup: { seconds: 1800 }, review: { seconds: 86_400 }, deploy: { seconds: 5400 },
  lead: { seconds: 100_800, basis: 'deployment' }, size: { linesAdded: 120, linesRemoved: 30, files: 1 },
};
const repo: RepositoryMetrics = {
  days: 30,
  deploymentFrequency: { count: 42, perDay: 1.4, perWeek: 9.8 },
  leadTime: { seconds: 79_200, basis: 'deployment', pullRequests: 12, merged: 15 },
  changeFailureRate: { rate: 2 / 25, failures: 2, reverts: 0, total: 25, basis: 'deployments' },
  recoveryTime: { unavailable: 'no failed production deployments in the last 30 days' },
};

describe('the pull request comment', () => {
  it('renders both tables in Bitbucket markdown, marked so the app can find it again', () => {
    expect(renderComment(merged, repo, { link: 'https://metrics.example/pr/7' })).toBe(
      [
        '[//]: # (pandev-metrics-dora)',
        '',
        '**PanDev Metrics · DORA**',
        '',
        '| This pull request | Value |',
        '|---|---|',
        '| Coding time | 2 h |',
        '| Pickup time | 30 min |',
        '| Review time | 1 d |',
        '| Deploy time | 1 h 30 min |',
        '| Lead time for changes | 1 d 4 h |',
        '| Size | +120 −30 lines in 1 file |',
        '',
        '| This repository, last 30 days | Value | DORA 2024 band |',
        '|---|---|---|',
        '| Deployment frequency | 1.4 per day (42 in 30 days) | **Elite** |',
        '| Lead time for changes | 22 h, median of 12 pull requests | **Elite** |',
        '| Change failure rate | 8% (2 of 25 deployments) | **High** |',
        '| Failed deployment recovery time | not available — no failed production deployments in the last 30 days | — |',
        '',
        '**What these mean**',
        '',
        'This pull request:',
        '',
        '- **Coding time**: from the first commit to the opening of the pull request.',
        '- **Pickup time**: from the opening to the first review by someone other than the author: an approval, a change request or a comment.',
        '- **Review time**: from the first review to the merge.',
        '- **Deploy time**: from the merge to the first successful production deployment that includes it.',
        '- **Lead time for changes**: from the first commit to that same deployment: coding, pickup, review and deploy time together. ' +
          'To the merge when the repository has no production deployments.',
        '',
        'This repository, last 30 days:',
        '',
        '- **Deployment frequency**: successful production deployments per day, or per week when there are fewer than one a day.',
        '- **Lead time for changes**: the median lead time of the pull requests merged in that time.',
        '- **Change failure rate**: failed production deployments and merged reverts, as a share of finished production deployments; ' +
          'with no production deployments, reverts as a share of merged pull requests.',
        '- **Failed deployment recovery time**: the median time from a failed production deployment to the next successful one in the same environment.',
        '',
        'Bands: Elite, High, Medium and Low are DORA performance bands (Accelerate State of DevOps Report 2024), given by these thresholds:',
        '',
        '- Deployment frequency: Elite more than once a day; High at least once a week; Medium at least once a month; Low less than once a month',
        '- Lead time for changes: Elite under 1 day; High 1 day to 7 days; Medium over 7 days, up to 30 days; Low over 30 days',
        '- Change failure rate: Elite 5% or less; High over 5%, up to 20%; Medium over 20%, under 40%; Low 40% or more',
        '- Failed deployment recovery time: Elite under 1 hour; High 1 hour to under 1 day; Medium 1 day to under 7 days; Low 7 days or more',
        '',
        '[Open in PanDev Metrics](https://metrics.example/pr/7)',
        '',
      ].join('\n'),
    );
  });

  it('uses no HTML and no emoji, and its marker is searchable in the raw text', () => {
    const text = renderComment(merged, repo);
    expect(text).not.toMatch(/<\/?[a-z][^>]*>/i);
    expect(text).not.toMatch(/\p{Extended_Pictographic}/u);
    expect(text.split('\n')[0]).toBe(COMMENT_MARKER);
    expect(COMMENT_MARKER).toContain(COMMENT_TOKEN);
  });

  it('shows running, fallback and missing figures in words, and keeps table cells intact', () => {
    const open: PullRequestMetrics = {
      ...merged, state: 'OPEN',
      pickup: { seconds: 3 * 3600 + 900, running: true },
      review: { unavailable: 'no review by anyone other than the author yet' },
      deploy: { unavailable: 'not merged | yet' },
      lead: { unavailable: 'not deployed to production yet', toMerge: { seconds: 95_400 } },
      size: { unavailable: 'size not known yet' },
    };
    const noDeployments: RepositoryMetrics = {
      days: 30,
      deploymentFrequency: { unavailable: 'no production deployments in this repository' },
      leadTime: { seconds: 3600, basis: 'merge', pullRequests: 1, merged: 1 },
      changeFailureRate: { rate: 0, failures: 0, reverts: 0, total: 4, basis: 'merged-pull-requests' },
      recoveryTime: { seconds: 1800, recoveries: 1, unrecovered: 2 },
    };
    const text = renderComment(open, noDeployments);
    expect(text).toContain('| Pickup time | 3 h 15 min so far |');
    expect(text).toContain('| Deploy time | not available — not merged \\| yet |');
    expect(text).toContain('| Lead time for changes | not available — not deployed to production yet (to merge: 1 d 2 h) |');
    expect(text).toContain('| Lead time for changes | 1 h to merge, median of 1 pull request (no production deployments) | — |');
    expect(text).toContain('| Change failure rate | 0% (0 reverts of 4 merged pull requests; no production deployments in 30 days) | — |');
    expect(text).toContain('| Failed deployment recovery time | 30 min, median of 1 recovery, 2 not recovered yet | **Elite** |');
    expect(text).not.toContain('[Open in PanDev Metrics]');
  });
});

describe('the pull request card', () => {
  it('gives the same rows as plain data, with bands only on repository figures DORA defines', () => {
    const card = cardModel({ ...merged, pickup: { seconds: 600, running: true } }, repo);
    expect(card.days).toBe(30);
    expect(card.pullRequest.map((r) => r.label)).toEqual(['Coding time', 'Pickup time', 'Review time', 'Deploy time', 'Lead time for changes', 'Size']);
    expect(card.pullRequest[1]).toMatchObject({ label: 'Pickup time', value: '10 min so far', available: true, running: true });
    expect(card.pullRequest[1]!.band).toBeUndefined();
    expect(card.pullRequest.every((r) => r.band === undefined)).toBe(true);
    expect(card.repository.map((r) => r.band)).toEqual(['Elite', 'Elite', 'High', undefined]);
    expect(card.repository[3]).toMatchObject({ available: false, value: 'not available — no failed production deployments in the last 30 days' });
  });

  it('carries the definition the comment shows with every figure but Size, each lead time its own', () => {
    const card = cardModel(merged, repo);
    const comment = renderComment(merged, repo);
    const undefinedRows = [...card.pullRequest, ...card.repository].filter((row) => !row.definition).map((row) => row.label);
    expect(undefinedRows).toEqual(['Size']);
    for (const row of [...card.pullRequest, ...card.repository].filter((r) => r.definition)) {
      expect(comment).toContain(`- **${row.label}**: ${row.definition}\n`);
    }
    const lead = (rows: typeof card.pullRequest) => rows.find((row) => row.label === 'Lead time for changes')!.definition;
    expect(lead(card.repository)).not.toBe(lead(card.pullRequest));
  });

  it('states, on each banded figure\'s line in the comment and with its row on the card, every threshold of the one band table', () => {
    const card = cardModel(merged, repo);
    const comment = renderComment(merged, repo);
    expect(Object.keys(BANDED)).toEqual(card.repository.map((row) => row.label));
    for (const [label, metric] of Object.entries(BANDED)) {
      const row = card.repository.find((r) => r.label === label)!;
      const line = comment.split('\n').find((l) => l.startsWith(`- ${label}: `));
      for (const name of BANDS) {
        expect(row.bands).toContain(`${name} ${BAND_THRESHOLDS[metric][name]}`);
        expect(line).toContain(`${name} ${BAND_THRESHOLDS[metric][name]}`);
      }
    }
  });
});

describe('the deployment frequency band', () => {
  // Real facts over the 30 days to Sunday 2024-06-30: every Tuesday, every first of the month.
  const now = Date.parse('2024-06-30T00:00:00Z');
  const at = (days: string[]) => days.map((day, i) => DeploymentFacts.parse({ repository: '{repo}', uuid: `{d${i}}`, environment: { uuid: '{prod}', type: 'Production' }, result: 'SUCCESSFUL', completedOn: `${day}T14:00:00Z`, commit: String(i).repeat(40) }));
  const frequency = (deployments: DeploymentFacts[]) => cardModel(merged, repositoryMetrics({ pullRequests: [], deployments, contains: () => false, now })).repository[0]!;

  it('is High for a team that deploys once a week, as DORA defines it, whichever weekday the 30 days start on', () => {
    // 30 days hold four Tuesdays, or five when the window starts on one: four weekly releases are 0.93 a week.
    const weekly = frequency(at(['2024-06-04', '2024-06-11', '2024-06-18', '2024-06-25']));
    expect(weekly).toMatchObject({ value: '0.9 per week (4 in 30 days)', band: 'High' });
  });

  it('keeps the other boundaries: once a month is Medium, several a week High, several a day Elite', () => {
    expect(frequency(at(['2024-06-01'])).band).toBe('Medium');
    expect(frequency(at(['2024-06-11', '2024-06-18', '2024-06-25'])).band).toBe('Medium');
    expect(frequency(at(['2024-06-03', '2024-06-05', '2024-06-07', '2024-06-10', '2024-06-12'])).band).toBe('High');
    const daily = Array.from({ length: 30 }, (_, i) => new Date(now - (i + 1) * 86_400_000).toISOString().slice(0, 10));
    expect(frequency(at(daily)).band).toBe('High');
    expect(frequency(at([...daily, ...daily])).band).toBe('Elite');
  });
});

describe('the change failure rate in words', () => {
  const now = Date.parse('2024-06-30T00:00:00Z');
  const deployment = (day: string, result: string, i: number) => DeploymentFacts.parse({ repository: '{repo}', uuid: `{d${i}}`, environment: { uuid: '{prod}', type: 'Production' }, result, completedOn: `${day}T14:00:00Z`, commit: String(i).repeat(40) });
  const revert = (id: number, day: string) => PullRequestFacts.parse({ repository: '{repo}', id, title: `Revert "Cache prices" (pull request #${id - 1})`, state: 'MERGED', createdOn: `${day}T09:00:00Z`, mergedOn: `${day}T10:00:00Z`, mergeCommit: String(id).repeat(12), revert: true });
  const row = (deployments: DeploymentFacts[], pullRequests: PullRequestFacts[]) => cardModel(merged, repositoryMetrics({ pullRequests, deployments, contains: () => false, now })).repository[2]!;

  it('never counts more failures than deployments: reverts are named as such', () => {
    // A release every other week; two changes reverted between them, shipped with the next release.
    const releases = [deployment('2024-06-11', 'SUCCESSFUL', 1), deployment('2024-06-25', 'FAILED', 2)];
    expect(row(releases.slice(0, 1), [revert(8, '2024-06-05'), revert(10, '2024-06-07')]))
      .toMatchObject({ value: '100% (2 merged reverts over 1 deployment)', band: 'Low' });
    expect(row(releases, [revert(8, '2024-06-05')])).toMatchObject({ value: '100% (1 failed deployment and 1 merged revert over 2 deployments)', band: 'Low' });
    expect(row(releases, [])).toMatchObject({ value: '50% (1 of 2 deployments)', band: 'Low' });
  });
});

describe('durations in words', () => {
  it.each([
    [0, 'under 1 min'], [59, 'under 1 min'], [60, '1 min'], [3599, '59 min'], [3600, '1 h'], [3660, '1 h 1 min'],
    [86_399, '23 h 59 min'], [86_400, '1 d'], [90_000, '1 d 1 h'], [400 * 86_400, '400 d'],
  ])('%d s is "%s"', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
