import { band } from '../../src/core/metrics/bands';

// Each figure of the DORA 2024 table lands in its own band, except where the report's clusters are not
// ordered (Medium's 10% change fail rate, the recovery time High and Medium share): see bands.ts.
const HOUR = 3600;
const DAY = 24 * HOUR;

describe('DORA 2024 bands', () => {
  it.each([
    // deployments per day
    ['deploymentFrequency', 3, 'Elite'],
    ['deploymentFrequency', 1, 'High'], // once per day
    ['deploymentFrequency', 1 / 7, 'High'], // once per week
    ['deploymentFrequency', 1 / 10, 'Medium'],
    ['deploymentFrequency', 1 / 30, 'Medium'], // once per month
    ['deploymentFrequency', 1 / 90, 'Low'],
    ['deploymentFrequency', 0, 'Low'],
    // seconds
    ['leadTime', 23 * HOUR, 'Elite'],
    ['leadTime', DAY, 'High'],
    ['leadTime', 7 * DAY, 'High'],
    ['leadTime', 7 * DAY + 1, 'Medium'],
    ['leadTime', 30 * DAY, 'Medium'],
    ['leadTime', 90 * DAY, 'Low'],
    ['leadTime', 400 * DAY, 'Low'],
    // share of deployments
    ['changeFailureRate', 0, 'Elite'],
    ['changeFailureRate', 0.05, 'Elite'],
    ['changeFailureRate', 0.1, 'High'], // Medium's cluster figure, better than High's
    ['changeFailureRate', 0.2, 'High'],
    ['changeFailureRate', 0.3, 'Medium'],
    ['changeFailureRate', 0.4, 'Low'],
    // seconds
    ['recoveryTime', 59 * 60, 'Elite'],
    ['recoveryTime', HOUR, 'High'],
    ['recoveryTime', 23 * HOUR, 'High'],
    ['recoveryTime', 3 * DAY, 'Medium'],
    ['recoveryTime', 7 * DAY, 'Low'],
    ['recoveryTime', 30 * DAY, 'Low'],
  ] as const)('%s %d is %s', (metric, value, expected) => {
    expect(band(metric, value)).toBe(expected);
  });
});
