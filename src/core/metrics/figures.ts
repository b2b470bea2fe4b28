import type { DeploymentFacts } from './facts';

// The shapes every metric shares, and the small helpers that keep the arithmetic exact: every instant
// becomes whole seconds once, at the start, so differences are integers and the parts of a pull
// request's lead time add up to the whole without rounding drift.

/** A figure the engine could work out. `running` marks a time still counting on an open pull request. */
export interface Measured {
  seconds: number;
  running?: true;
}

/** A figure the engine could not work out, with a short reason a person can act on. */
export interface Unavailable {
  unavailable: string;
}

export type Duration = Measured | Unavailable;

export const DAY_SECONDS = 86_400;

export function isMeasured<T extends object>(figure: T): figure is Exclude<T, Unavailable> {
  return !('unavailable' in figure);
}

/** Milliseconds since the epoch (the app's clock) to whole seconds. */
export function toSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** An ISO 8601 time as whole seconds, or undefined when it is missing or unreadable. */
export function instant(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : toSeconds(ms);
}

/**
 * The same commit written at two lengths: Bitbucket gives 12-character hashes in pull requests and
 * 40-character ones in deployments. Seven characters is git's shortest default abbreviation; anything
 * shorter could match by chance.
 */
export function sameCommit(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a.toLowerCase(), b.toLowerCase()] : [b.toLowerCase(), a.toLowerCase()];
  return short.length >= 7 && long.startsWith(short);
}

export function succeeded(deployment: DeploymentFacts): boolean {
  return deployment.result.toUpperCase() === 'SUCCESSFUL';
}

/**
 * Only FAILED counts as a failed deployment. STOPPED means someone halted the step before it changed
 * production, so it is neither a success nor a failure.
 */
export function failed(deployment: DeploymentFacts): boolean {
  return deployment.result.toUpperCase() === 'FAILED';
}

/** Oldest first, ties broken by uuid, so the result never depends on the order the facts arrived in. */
export function byCompletion(a: DeploymentFacts, b: DeploymentFacts): number {
  return (instant(a.completedOn) ?? 0) - (instant(b.completedOn) ?? 0) || (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
