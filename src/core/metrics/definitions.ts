import { BAND_THRESHOLDS, BANDS, type BandedMetric } from './bands';

// What each figure means, in a reader's words: the one text the pull request comment and the card both
// show (the card receives it with each row). The README's "DORA metrics: definitions" has the details.

/** This pull request's figures, by row label. */
export const PULL_REQUEST_DEFINITIONS: Readonly<Record<string, string>> = {
  'Coding time': 'from the first commit to the opening of the pull request.',
  'Pickup time': 'from the opening to the first review by someone other than the author: an approval, a change request or a comment.',
  'Review time': 'from the first review to the merge.',
  'Deploy time': 'from the merge to the first successful production deployment that includes it.',
  'Lead time for changes':
    'from the first commit to that same deployment: coding, pickup, review and deploy time together. To the merge when the repository has no production deployments.',
};

/** The repository's figures over the days the card and comment name, by row label. */
export const REPOSITORY_DEFINITIONS: Readonly<Record<string, string>> = {
  'Deployment frequency': 'successful production deployments per day, or per week when there are fewer than one a day.',
  'Lead time for changes': 'the median lead time of the pull requests merged in that time.',
  'Change failure rate':
    'failed production deployments and merged reverts, as a share of finished production deployments; with no production deployments, reverts as a share of merged pull requests.',
  'Failed deployment recovery time': 'the median time from a failed production deployment to the next successful one in the same environment.',
};

/** What the bands beside the repository's figures are: the card's note under them, the comment's "Bands:" line. */
export const BANDS_NOTE = 'Elite, High, Medium and Low are DORA performance bands (Accelerate State of DevOps Report 2024), given by these thresholds:';

/** The repository's figures DORA bands, by row label. */
export const BANDED: Readonly<Record<string, BandedMetric>> = {
  'Deployment frequency': 'deploymentFrequency',
  'Lead time for changes': 'leadTime',
  'Change failure rate': 'changeFailureRate',
  'Failed deployment recovery time': 'recoveryTime',
};

/** Each banded repository figure's thresholds, by row label: "Elite under 1 hour; High 1 hour to under 1 day; …". */
export const BAND_DEFINITIONS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(BANDED).map(([label, metric]) => [label, BANDS.map((name) => `${name} ${BAND_THRESHOLDS[metric][name]}`).join('; ')]),
);
