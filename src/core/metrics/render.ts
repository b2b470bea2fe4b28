import type { CardModel, CardRow } from '../../contract/card';
import { band, deploymentFrequencyBand } from './bands';
import { plural } from '../words';
import { COMMENT_MARKER } from './marker';
import { BAND_DEFINITIONS, BANDS_NOTE, PULL_REQUEST_DEFINITIONS, REPOSITORY_DEFINITIONS } from './definitions';
import { DAY_SECONDS, type Duration } from './figures';
import type { LeadTime, PullRequestMetrics, Size } from './pull-request';
import type { RepositoryMetrics } from './repository';

// What a person reads: the pull request comment (Bitbucket markdown) and the pull request card (plain
// rows the UI lays out). Both come from the same rows, so they never disagree. The comment has no HTML,
// colour or emoji (it must read the same in light and dark themes) and no timestamp, so the app can
// compare texts and skip an edit that would change nothing.

export { COMMENT_MARKER, COMMENT_TOKEN } from './marker';

export type { CardModel, CardRow } from '../../contract/card';

export interface RenderOptions {
  /** Where the figures can be explored in PanDev Metrics; shown as a last line. */
  link?: string;
}

export function cardModel(pr: PullRequestMetrics, repo: RepositoryMetrics): CardModel {
  return {
    days: repo.days,
    bandsNote: BANDS_NOTE,
    pullRequest: defined(PULL_REQUEST_DEFINITIONS, [
      durationRow('Coding time', pr.coding),
      durationRow('Pickup time', pr.pickup),
      durationRow('Review time', pr.review),
      durationRow('Deploy time', pr.deploy),
      leadRow(pr.lead),
      sizeRow(pr.size),
    ]),
    repository: defined(REPOSITORY_DEFINITIONS, repositoryRows(repo)).map((row) => (BAND_DEFINITIONS[row.label] ? { ...row, bands: BAND_DEFINITIONS[row.label] } : row)),
  };
}

function defined(definitions: Readonly<Record<string, string>>, rows: CardRow[]): CardRow[] {
  return rows.map((row) => (definitions[row.label] ? { ...row, definition: definitions[row.label] } : row));
}

export function renderComment(pr: PullRequestMetrics, repo: RepositoryMetrics, opts: RenderOptions = {}): string {
  const card = cardModel(pr, repo);
  const lines = [
    COMMENT_MARKER,
    '',
    '**PanDev Metrics · DORA**',
    '',
    '| This pull request | Value |',
    '|---|---|',
    ...card.pullRequest.map((row) => `| ${cell(row.label)} | ${cell(row.value)} |`),
    '',
    `| This repository, last ${card.days} days | Value | DORA 2024 band |`,
    '|---|---|---|',
    ...card.repository.map((row) => `| ${cell(row.label)} | ${cell(row.value)} | ${row.band ? `**${row.band}**` : '—'} |`),
    '',
    '**What these mean**',
    '',
    'This pull request:',
    '',
    ...definitionLines(card.pullRequest),
    '',
    `This repository, last ${card.days} days:`,
    '',
    ...definitionLines(card.repository),
    '',
    `Bands: ${card.bandsNote}`,
    '',
    ...card.repository.flatMap((row) => (row.bands ? [`- ${row.label}: ${row.bands}`] : [])),
  ];
  if (opts.link) lines.push('', `[Open in PanDev Metrics](${opts.link})`);
  return lines.join('\n') + '\n';
}

/** The card shows the same definitions under "What these mean". */
function definitionLines(rows: CardRow[]): string[] {
  return rows.flatMap((row) => (row.definition ? [`- **${row.label}**: ${row.definition}`] : []));
}

/** "under 1 min", "42 min", "3 h 5 min", "2 d 4 h": the two largest units are enough to compare. */
export function formatDuration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  if (minutes < 1) return 'under 1 min';
  if (minutes < 60) return `${minutes} min`;
  if (seconds < DAY_SECONDS) return joinUnits(Math.floor(minutes / 60), 'h', minutes % 60, 'min');
  return joinUnits(Math.floor(seconds / DAY_SECONDS), 'd', Math.floor((seconds % DAY_SECONDS) / 3600), 'h');
}

function joinUnits(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major} ${majorUnit}` : `${major} ${majorUnit} ${minor} ${minorUnit}`;
}

function unavailable(label: string, reason: string): CardRow {
  return { label, value: `not available — ${reason}`, available: false };
}

function durationRow(label: string, figure: Duration): CardRow {
  if ('unavailable' in figure) return unavailable(label, figure.unavailable);
  if (figure.running) return { label, value: `${formatDuration(figure.seconds)} so far`, available: true, running: true };
  return { label, value: formatDuration(figure.seconds), available: true };
}

function leadRow(lead: LeadTime): CardRow {
  const label = 'Lead time for changes';
  if ('unavailable' in lead) {
    const row = unavailable(label, lead.unavailable);
    return lead.toMerge ? { ...row, value: `${row.value} (to merge: ${formatDuration(lead.toMerge.seconds)})` } : row;
  }
  const value = formatDuration(lead.seconds);
  return { label, value: lead.basis === 'merge' ? `${value} to merge (no production deployments)` : value, available: true };
}

function sizeRow(size: Size): CardRow {
  if ('unavailable' in size) return unavailable('Size', size.unavailable);
  const lines = `+${size.linesAdded} −${size.linesRemoved} lines`;
  // Bitbucket's diffstat stopped at a page: the counts are of that page, so they read as a floor, not the size.
  if (size.partial) return { label: 'Size', value: `at least ${lines} in more than ${plural(size.files, 'file')} (Bitbucket lists the first ${size.files})`, available: true };
  return { label: 'Size', value: `${lines} in ${plural(size.files, 'file')}`, available: true };
}

function repositoryRows(repo: RepositoryMetrics): CardRow[] {
  const { deploymentFrequency: df, leadTime: lt, changeFailureRate: cfr, recoveryTime: rt } = repo;
  return [
    'unavailable' in df ? unavailable('Deployment frequency', df.unavailable) : {
      label: 'Deployment frequency', available: true, band: deploymentFrequencyBand(df.count, repo.days),
      value: df.count === 0 ? `none in ${repo.days} days` : `${df.perDay >= 1 ? `${round1(df.perDay)} per day` : `${round1(df.perWeek)} per week`} (${df.count} in ${repo.days} days)`,
    },
    'unavailable' in lt ? unavailable('Lead time for changes', lt.unavailable) : {
      label: 'Lead time for changes', available: true,
      value: `${formatDuration(lt.seconds)}${lt.basis === 'merge' ? ' to merge' : ''}, median of ${plural(lt.pullRequests, 'pull request')}${lt.basis === 'merge' ? ' (no production deployments)' : ''}`,
      ...(lt.basis === 'deployment' ? { band: band('leadTime', lt.seconds) } : {}),
    },
    'unavailable' in cfr ? unavailable('Change failure rate', cfr.unavailable) : {
      label: 'Change failure rate', available: true,
      value: cfr.basis === 'deployments'
        ? `${round1(cfr.rate * 100)}% (${failuresOf(cfr)})`
        : `${round1(cfr.rate * 100)}% (${plural(cfr.failures, 'revert')} of ${plural(cfr.total, 'merged pull request')}; no production deployments in ${repo.days} days)`,
      ...(cfr.basis === 'deployments' ? { band: band('changeFailureRate', cfr.rate) } : {}),
    },
    'unavailable' in rt ? unavailable('Failed deployment recovery time', rt.unavailable) : {
      label: 'Failed deployment recovery time', available: true, band: band('recoveryTime', rt.seconds),
      value: `${formatDuration(rt.seconds)}, median of ${plural(rt.recoveries, 'recovery', 'recoveries')}${rt.unrecovered > 0 ? `, ${rt.unrecovered} not recovered yet` : ''}`,
    },
  ];
}

/**
 * Reverts are not deployments: "2 of 1 deployment" would read as a miscount, so when reverts are among
 * the failures the two kinds are named.
 */
function failuresOf(cfr: { failures: number; reverts: number; total: number }): string {
  const over = plural(cfr.total, 'deployment');
  if (cfr.reverts === 0) return `${cfr.failures} of ${over}`;
  const failed = cfr.failures - cfr.reverts;
  const reverts = plural(cfr.reverts, 'merged revert');
  return `${failed > 0 ? `${plural(failed, 'failed deployment')} and ${reverts}` : reverts} over ${over}`;
}

function round1(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** Table cells are one line and a pipe would end the cell. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}
