import { isProduction, type DeploymentFacts, type PullRequestFacts } from './facts';
import { byCompletion, DAY_SECONDS, failed, instant, isMeasured, median, succeeded, toSeconds, type Unavailable } from './figures';
import { pullRequestMetrics, type PullRequestInput } from './pull-request';

/**
 * DORA's four keys for one repository over the trailing window (30 days unless told):
 *
 * - deployment frequency: successful production deployments completed in the window, per day and week.
 * - lead time for changes: the median lead time of the pull requests merged in the window that have
 *   one (see pull-request.ts), measured to production, or to the merge when the repository has no
 *   production deployments at all.
 * - change failure rate: (failed production deployments + merged revert pull requests) / production
 *   deployments that finished (successful or failed), all in the window. With no production deployment
 *   in the window, reverts are counted against merged pull requests instead, and labelled so. A revert
 *   and the failed deployment it undoes can both count, so the rate is capped at 100%.
 * - failed deployment recovery time: the median time from a failed production deployment to the next
 *   successful one in the same environment. A run of failures is one outage, timed from its first
 *   failure; runs that started in the window count. An outage still open counts as not recovered when
 *   the window saw it fail, even if it began before.
 */
export interface RepositoryMetrics {
  days: number;
  deploymentFrequency: { count: number; perDay: number; perWeek: number } | Unavailable;
  /** `pullRequests` have a lead time out of `merged` merged in the window. */
  leadTime: { seconds: number; basis: 'deployment' | 'merge'; pullRequests: number; merged: number } | Unavailable;
  /** `failures` counts the failed deployments and the merged reverts together; `reverts` says how many are reverts. */
  changeFailureRate: { rate: number; failures: number; reverts: number; total: number; basis: 'deployments' | 'merged-pull-requests' } | Unavailable;
  /** `unrecovered` failure runs had no successful deployment after them yet. */
  recoveryTime: { seconds: number; recoveries: number; unrecovered: number } | Unavailable;
}

export interface RepositoryInput extends Pick<PullRequestInput, 'contains' | 'now'> {
  /** One repository's pull requests and deployments. */
  pullRequests: PullRequestFacts[];
  deployments: DeploymentFacts[];
  days?: number;
}

export function repositoryMetrics(input: RepositoryInput): RepositoryMetrics {
  const days = input.days ?? 30;
  const now = toSeconds(input.now);
  const windowStart = now - days * DAY_SECONDS;
  const inWindow = (iso: string | undefined) => {
    const at = instant(iso);
    return at !== undefined && at >= windowStart && at <= now;
  };
  const production = input.deployments.filter((d) => isProduction(d) && (instant(d.completedOn) ?? Infinity) <= now);
  const recent = production.filter((d) => inWindow(d.completedOn));
  const merged = input.pullRequests.filter((pr) => pr.state === 'MERGED' && inWindow(pr.mergedOn));
  const lastDays = `in the last ${days} days`;

  const successes = recent.filter(succeeded).length;
  const deploymentFrequency = production.length === 0
    ? { unavailable: 'no production deployments in this repository' }
    : { count: successes, perDay: successes / days, perWeek: (successes * 7) / days };
  return {
    days,
    deploymentFrequency,
    leadTime: leadTime(merged, { ...input, windowStart: windowStart * 1000 }, lastDays),
    changeFailureRate: changeFailureRate(recent, merged, lastDays),
    recoveryTime: recoveryTime(production, windowStart, lastDays),
  };
}

function leadTime(merged: PullRequestFacts[], input: PullRequestInput, lastDays: string): RepositoryMetrics['leadTime'] {
  // Every pull request here is measured against the same deployments, so they share one basis.
  const leads = merged.map((pr) => pullRequestMetrics(pr, input).lead).filter(isMeasured);
  if (leads.length > 0) return { seconds: median(leads.map((l) => l.seconds)), basis: leads[0]!.basis, pullRequests: leads.length, merged: merged.length };
  if (merged.length === 0) return { unavailable: `no pull requests merged ${lastDays}` };
  if (merged.length === 1) return { unavailable: `the pull request merged ${lastDays} has no lead time yet` };
  return { unavailable: `none of the ${merged.length} pull requests merged ${lastDays} has a lead time yet` };
}

function changeFailureRate(recent: DeploymentFacts[], merged: PullRequestFacts[], lastDays: string): RepositoryMetrics['changeFailureRate'] {
  const reverts = merged.filter((pr) => pr.revert).length;
  const failures = recent.filter(failed).length;
  const total = recent.filter((d) => succeeded(d) || failed(d)).length;
  if (total > 0) return { rate: Math.min(1, (failures + reverts) / total), failures: failures + reverts, reverts, total, basis: 'deployments' };
  if (merged.length > 0) return { rate: Math.min(1, reverts / merged.length), failures: reverts, reverts, total: merged.length, basis: 'merged-pull-requests' };
  return { unavailable: `no production deployments or merged pull requests ${lastDays}` };
}

function recoveryTime(production: DeploymentFacts[], windowStart: number, lastDays: string): RepositoryMetrics['recoveryTime'] {
  const byEnvironment = new Map<string, DeploymentFacts[]>();
  for (const d of production.filter((d) => succeeded(d) || failed(d))) {
    byEnvironment.set(d.environment.uuid, [...(byEnvironment.get(d.environment.uuid) ?? []), d]);
  }
  const recoveries: number[] = [];
  let unrecovered = 0;
  // Failures in the window that continue an outage begun before it: no recovery time of the window's
  // own, but "no failed deployments" beside a change failure rate that counts them would be untrue.
  let continued = false;
  for (const deployments of byEnvironment.values()) {
    let failingSince: number | undefined;
    let lastFailure = 0;
    for (const d of deployments.sort(byCompletion)) {
      const at = instant(d.completedOn)!;
      if (failed(d)) {
        failingSince ??= at;
        lastFailure = at;
      } else if (failingSince !== undefined) {
        if (failingSince >= windowStart) recoveries.push(at - failingSince);
        else if (lastFailure >= windowStart) continued = true;
        failingSince = undefined;
      }
    }
    // Still open, whenever it began: the window saw it fail, and it has not recovered.
    if (failingSince !== undefined && lastFailure >= windowStart) unrecovered += 1;
  }
  if (recoveries.length > 0) return { seconds: median(recoveries), recoveries: recoveries.length, unrecovered };
  if (unrecovered > 0) return { unavailable: 'no failed production deployment has been followed by a successful one yet' };
  return { unavailable: continued ? `the failed production deployments ${lastDays} belong to an outage that began before them` : `no failed production deployments ${lastDays}` };
}
