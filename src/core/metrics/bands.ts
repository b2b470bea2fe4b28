import { DAY_SECONDS } from './figures';

// DORA's performance clusters from the Accelerate State of DevOps Report 2024 (Google Cloud / DORA,
// "Software delivery performance levels"), as the report gives them:
//
// | level  | deployment frequency                             | change lead time      | change fail rate | failed deployment recovery time |
// |--------|--------------------------------------------------|-----------------------|------------------|---------------------------------|
// | Elite  | on demand (multiple deploys per day)             | less than one day     | 5%               | less than one hour              |
// | High   | between once per day and once per week           | one day to one week   | 20%              | less than one day               |
// | Medium | between once per week and once per month         | one week to one month | 10%              | less than one day               |
// | Low    | between once per month and once every six months | one to six months     | 40%              | one week to one month           |
//
// The clusters describe groups of teams, not thresholds, and two columns are not ordered: Medium's
// change fail rate (10%) is better than High's (20%), and High and Medium share a recovery time. A
// band that could get worse as a figure improves would be useless on a pull request, so each metric
// is classified on its own by thresholds that keep the order (a better value never gets a worse band):
//
// - each cluster's own figure lands in its own band, and a value on a shared boundary gets the better
//   band ("one week" is High, not Medium; exactly once per day is High, "multiple" per day is Elite);
// - change fail rate: Elite ≤ 5%, High ≤ 20%, Medium < 40%, Low ≥ 40%. Medium's 10% lies between Elite
//   and High, so it reads High; Medium takes the gap between High's 20% and Low's 40%;
// - recovery time: Elite < 1 hour, High < 1 day, Medium < 1 week, Low from 1 week. Medium takes the gap
//   between one day and one week that no cluster claims;
// - below the slowest cluster (deploying less than once in six months, lead time over six months) is
//   still Low: there is no fifth band. A month is 30 days.

export const BANDS = ['Elite', 'High', 'Medium', 'Low'] as const;
export type Band = (typeof BANDS)[number];

/** Deployment frequency in deployments per day, times in seconds, change failure rate from 0 to 1. */
export type BandedMetric = 'deploymentFrequency' | 'leadTime' | 'changeFailureRate' | 'recoveryTime';

const HOUR = 3_600;
const WEEK = 7 * DAY_SECONDS;
const MONTH = 30 * DAY_SECONDS;

/** The first band whose test the value passes; each test admits everything the one before it does. */
const THRESHOLDS: Record<BandedMetric, Array<[Band, (value: number) => boolean]>> = {
  deploymentFrequency: [['Elite', (perDay) => perDay > 1], ['High', (perDay) => perDay >= 1 / 7], ['Medium', (perDay) => perDay >= 1 / 30]],
  leadTime: [['Elite', (s) => s < DAY_SECONDS], ['High', (s) => s <= WEEK], ['Medium', (s) => s <= MONTH]],
  changeFailureRate: [['Elite', (rate) => rate <= 0.05], ['High', (rate) => rate <= 0.2], ['Medium', (rate) => rate < 0.4]],
  recoveryTime: [['Elite', (s) => s < HOUR], ['High', (s) => s < DAY_SECONDS], ['Medium', (s) => s < WEEK]],
};

/**
 * The thresholds above, in a reader's words, for each band: what the card and the comment show under
 * the bands (definitions.ts). Each metric's words are its own, so no two rows read alike.
 */
export const BAND_THRESHOLDS: Readonly<Record<BandedMetric, Readonly<Record<Band, string>>>> = {
  deploymentFrequency: { Elite: 'more than once a day', High: 'at least once a week', Medium: 'at least once a month', Low: 'less than once a month' },
  leadTime: { Elite: 'under 1 day', High: '1 day to 7 days', Medium: 'over 7 days, up to 30 days', Low: 'over 30 days' },
  changeFailureRate: { Elite: '5% or less', High: 'over 5%, up to 20%', Medium: 'over 20%, under 40%', Low: '40% or more' },
  recoveryTime: { Elite: 'under 1 hour', High: '1 hour to under 1 day', Medium: '1 day to under 7 days', Low: '7 days or more' },
};

export function band(metric: BandedMetric, value: number): Band {
  return THRESHOLDS[metric].find(([, passes]) => passes(value))?.[0] ?? 'Low';
}

/**
 * A window's deployments, banded: a window holds whole weeks and months, not fractions of them. 30 days
 * hold four of a weekly release (five only when they start on its day), and 4 in 30 days is 0.93 a week,
 * under "once per week": the rate alone put a team that deploys every week in Medium most of the time.
 * So one deployment per whole week the window spans is weekly, one per whole month monthly.
 */
export function deploymentFrequencyBand(count: number, days: number): Band {
  if (count / days > 1) return 'Elite';
  if (count >= Math.max(1, Math.floor(days / 7))) return 'High';
  if (count >= Math.max(1, Math.floor(days / 30))) return 'Medium';
  return 'Low';
}
