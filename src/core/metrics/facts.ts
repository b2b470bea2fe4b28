import { z } from 'zod';
import { isProductionEnvironment } from '../change/environment';

// What the metrics engine reads: the facts about a pull request and a deployment that the app has
// already fetched on the forwarding, backfill and reconciliation paths (the recorder keeps them), so
// computing a figure never costs a Bitbucket request. Times are ISO 8601 strings as Bitbucket gives them.

export const ReviewKind = z.enum(['approval', 'changes_requested', 'comment']);
export type ReviewKind = z.infer<typeof ReviewKind>;

/** Why the first commit of a pull request is not known. */
export const FirstCommitUnavailable = z.enum([
  /** Its source branch head is not in the commits the app has seen (pushed before the app watched). */
  'source-unknown',
  /** Its commits go back past the window the app read. */
  'older-than-window',
  /** The branch was force-pushed: the commit that started the work is no longer on it. */
  'force-pushed',
  /** Bitbucket answered every one of its commits without a usable date (schema.ts, `passedOn`). */
  'undated',
  /** The pull request comes from a fork: its branch is pushed in another repository, which the app does not watch. */
  'fork',
]);
export type FirstCommitUnavailable = z.infer<typeof FirstCommitUnavailable>;

export const PullRequestFacts = z.object({
  /** Repository UUID with braces, as Bitbucket writes it. */
  repository: z.string(),
  id: z.number().int().positive(),
  title: z.string().default(''),
  /** Account UUID of the author. */
  author: z.string().optional(),
  state: z.enum(['OPEN', 'MERGED', 'DECLINED', 'SUPERSEDED']),
  createdOn: z.string(),
  /** Bitbucket's `updated_on` of the body the state was taken from: an older body does not change it. */
  updatedOn: z.string().optional(),
  mergedOn: z.string().optional(),
  /** Full or 12-character hash of the merge commit. */
  mergeCommit: z.string().optional(),
  destinationBranch: z.string().optional(),
  sourceBranch: z.string().optional(),
  /** The source branch is a fork's: the destination repository's branch of that name is another branch. */
  fromFork: z.boolean().optional(),
  /** The source and destination commits the body named (12 characters): the pull request's own commits lie between them. */
  sourceCommit: z.string().optional(),
  destinationCommit: z.string().optional(),
  /** The pull request's own diffstat link, for its size in one request when it is not known. */
  diffstatLink: z.string().optional(),
  firstCommitOn: z.string().optional(),
  /** The first commit is the source branch's earliest push, not yet measured against the destination. */
  firstCommitFromBranch: z.boolean().optional(),
  firstCommitUnavailable: FirstCommitUnavailable.optional(),
  /** The earliest review by someone other than the author (approval, changes requested or comment). */
  firstReview: z.object({ at: z.string(), by: z.string(), kind: ReviewKind }).optional(),
  /** `partial`: Bitbucket's diffstat listed only its first page of files, so the figures are a floor. */
  size: z.object({ linesAdded: z.number().int().nonnegative(), linesRemoved: z.number().int().nonnegative(), files: z.number().int().nonnegative(), partial: z.boolean().optional() }).optional(),
  /** Bitbucket would not give the size (the diff is gone, or refused): it is not asked for again. */
  sizeUnavailable: z.boolean().optional(),
  /** A pull request that reverts an earlier change (a failure in the change-failure-rate sense). */
  revert: z.boolean().default(false),
});
export type PullRequestFacts = z.infer<typeof PullRequestFacts>;

export const DeploymentFacts = z.object({
  repository: z.string(),
  uuid: z.string(),
  environment: z.object({ uuid: z.string(), name: z.string().optional(), type: z.string().optional() }),
  /** Bitbucket Pipelines' result of a completed deployment: SUCCESSFUL, FAILED, STOPPED … */
  result: z.string(),
  completedOn: z.string(),
  /** The commit deployed. */
  commit: z.string(),
});
export type DeploymentFacts = z.infer<typeof DeploymentFacts>;

/** Only production deployments count for DORA, by the rule PanDev's `is_production` follows. */
export function isProduction(deployment: DeploymentFacts): boolean {
  return isProductionEnvironment(deployment.environment);
}
