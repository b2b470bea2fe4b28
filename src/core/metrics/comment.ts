import { timeLeft } from '../pipeline/time-left';
import type { Connection, Preferences } from '../config/settings';
import type { CloudClient } from '../enrich/cloud/client';
import { pullRequestSize } from '../enrich/cloud/pull-request-size';
import { BitbucketError, errorMessage } from '../errors';
import type { ForwardContext } from '../pipeline/context';
import { isProduction, type PullRequestFacts } from './facts';
import { figuresFor, repositorySnapshot, type RepositorySnapshot } from './compute';
import { instant, succeeded } from './figures';
import { SIZE_NOT_READ } from './pull-request';
import type { CommentWork } from './recorder';
import { commentAuthor, findOurs, Written, type CommentAuthor } from './own-comment';
import { renderComment } from './render';
import { factsStore, type CommentState, type FactsStore } from './store';

// The one comment the app keeps on a merged pull request: posted after the merge, edited in place when
// the change reaches production. Never a second one: our comment's id is stored before anything else
// happens to it, and a post whose answer was lost is found again (by its author and marker, see
// own-comment.ts) before posting anew.
// Every request goes through the budgeted client.

export interface CommentDeps {
  ctx: Pick<ForwardContext, 'store' | 'clock' | 'log'>;
  client: CloudClient;
  preferences: Preferences;
  connection: Connection | undefined;
  workspace: string;
  /** When the invocation must have handed its work back (epoch ms); none: no limit. */
  deadline?: number;
  /** This job's token, the same on its retries: a post another job started is left to that job. */
  poster: string;
}

export type CommentOutcome =
  | { pullRequestId: number; done: 'posted' | 'edited' | 'unchanged' }
  | { pullRequestId: number; skipped: string };

/** Why a comment was left for the invocation's retry: Forge stops a consumer at its limit, mid-edit. */
export const OUT_OF_TIME = 'the invocation ran short of time';
/** Kept back from the deadline beyond the slowest edit so far: the invocation's own ending. */
const HAND_BACK_MARGIN_MS = 10_000;

/** A merge younger than this cannot have lost the record of its comment (kept 45 days). */
const FRESH_MERGE_MS = 86_400_000;
/** Forge's longest consumer run (900 s): a post another job started before that is not under way any more. */
const POST_UNDER_WAY_MS = 900_000;
/** Why a copy of the job (Forge delivers at least once, and may run them together) leaves the post to the other. */
const POSTED_ELSEWHERE = 'another copy of this job is posting the comment';

const OFF = 'pull request comments are off for this repository';

export async function updateComments(repository: string, work: CommentWork, deps: CommentDeps): Promise<CommentOutcome[]> {
  const facts = factsStore(deps.ctx.store);
  const undecided = new Set<string>();
  const outcomes = await upsertAll(repository, work, { facts, author: commentAuthor(deps.ctx.store) }, deps, undecided);
  // One deployment is enough: a revisit judges every waiting comment again. A push recorded while
  // these were worked out is missed; the push after it (or the next deployment) revisits them.
  const [deployment] = undecided;
  if (deployment !== undefined) await facts.putUndecided(repository, deployment);
  return outcomes;
}

async function upsertAll(repository: string, work: CommentWork, stores: Pick<Job, 'facts' | 'author'>, deps: CommentDeps, undecided: Set<string>): Promise<CommentOutcome[]> {
  const { facts } = stores;
  if ('pullRequestId' in work) return [await upsert(repository, work.pullRequestId, { ...stores, deps, onlyWhenDeployed: false, undecided })];
  const deployment = await facts.deployment(repository, work.deployment);
  const waiting = await facts.awaitingDeployment(repository, instant(deployment?.completedOn));
  // Read once for all of them: each would otherwise scan every stored fact of the repository again.
  const snapshot = waiting.length > 0 && commentsEnabled(deps.preferences, repository) ? await repositorySnapshot(facts, repository, deps.ctx.clock.now()) : undefined;
  const outcomes: CommentOutcome[] = [];
  // A production deployment edits only the comments it completes: the others keep their figures. A
  // repository that deploys weekly may have a hundred of them, one request each: what is left when
  // time runs short stays waiting (not yet marked deployed) for the retry.
  const time = timeLeft(deps.ctx.clock, deps.deadline, { margin: HAND_BACK_MARGIN_MS });
  for (const [index, { id, state }] of waiting.entries()) {
    const ended = time.begin();
    if (!ended) {
      outcomes.push(...waiting.slice(index).map((left) => ({ pullRequestId: left.id, skipped: OUT_OF_TIME })));
      break;
    }
    outcomes.push(await upsert(repository, id, { ...stores, deps, onlyWhenDeployed: true, undecided, state, ...(snapshot ? { snapshot } : {}) }));
    ended();
  }
  return outcomes;
}

/**
 * What an admin reading the log should do about a comment Bitbucket refused for good: it is not tried
 * again, since Bitbucket would refuse it the same way.
 */
export function commentFailureAdvice(error: unknown): string {
  if (!(error instanceof BitbucketError)) return errorMessage(error);
  switch (error.kind) {
    case 'forbidden':
    case 'unauthorized':
      return `Bitbucket refused the app the pull request's comments (${error.status}): check that PanDev Metrics is still installed in this workspace with the permissions it asked for, or turn PR comments off for this repository on the settings page (Advanced)`;
    case 'not-found':
      return `Bitbucket no longer has this pull request or its repository (${error.status}): there is nothing to comment on`;
    default:
      return `Bitbucket would not take the comment (${error.status ?? error.kind}) and would refuse it again, so it is not retried; the error says why`;
  }
}

export function commentsEnabled(preferences: Preferences, repository: string): boolean {
  const overrides = preferences.prCommentOverrides;
  return overrides[repository] ?? overrides[repository.replace(/[{}]/g, '')] ?? preferences.prComments;
}

interface Job {
  facts: FactsStore;
  author: CommentAuthor;
  deps: CommentDeps;
  onlyWhenDeployed: boolean;
  /** Collects the deployments a comment's deploy time waits to judge (commits not seen yet). */
  undecided: Set<string>;
  /** Shared by the comments one deployment revisits; read here when absent. */
  snapshot?: RepositorySnapshot;
  /** The comment's state, when the caller has read it already. */
  state?: CommentState;
}

async function upsert(repository: string, id: number, job: Job): Promise<CommentOutcome> {
  const { facts, deps } = job;
  const { ctx } = deps;
  const skip = (skipped: string): CommentOutcome => {
    ctx.log.info({ repository, pullRequest: id, reason: skipped }, 'no pull request comment');
    return { pullRequestId: id, skipped };
  };
  const commenting = commentsEnabled(deps.preferences, repository);
  if (!commenting && job.onlyWhenDeployed) return skip(OFF);
  const stored = job.snapshot ? job.snapshot.pullRequests.get(id) : await facts.pullRequest(repository, id);
  if (!stored || stored.state !== 'MERGED' || !stored.mergedOn) return skip('not merged');
  // The card shows the size too, and the merge is where it is read: with comments off, that one
  // request is all a merge costs here. Left to the comment, the card said "not known yet" for ever.
  if (!commenting) {
    await withSize(stored, facts, deps);
    return skip(OFF);
  }
  const activatedAt = deps.connection?.activatedAt;
  const mergedAt = Date.parse(stored.mergedOn);
  if (!activatedAt || mergedAt < activatedAt) return skip('merged before the app was activated');

  const snapshot = job.snapshot ?? (await repositorySnapshot(facts, repository, ctx.clock.now()));
  let content = await render(stored, facts, snapshot, deps.preferences);
  if (content.undecided !== undefined) job.undecided.add(content.undecided);
  // Decided before any request: a deployment that does not complete this comment costs nothing here,
  // nor does one that leaves a comment already reporting production with the deployment it reports.
  if (job.onlyWhenDeployed && !content.deployed) return { pullRequestId: id, done: 'unchanged' };
  if (job.onlyWhenDeployed && job.state?.deployed && !reportsEarlier(content.deployedAt, job.state.deployedAt)) return { pullRequestId: id, done: 'unchanged' };
  const pr = await withSize(stored, facts, deps);
  if (pr !== stored) content = await render(pr, facts, snapshot, deps.preferences);
  const saved = job.state ?? (await facts.comment(repository, id));
  if (saved?.deletedOnBitbucket) return skip('someone deleted the comment on Bitbucket');
  const state = saved ?? { deployed: false };
  if (state.content === content.text) return { pullRequestId: id, done: 'unchanged' };
  // A production deployment recorded since the figures were read found no comment id to edit (its job
  // passes over a post under way) and will not come back. Looked for once the id is on record: a later
  // one's job finds the comment itself.
  const catchUp = async () => {
    if (!job.onlyWhenDeployed && !content.deployed && (await deployedSince(facts, repository, snapshot))) {
      await upsert(repository, id, { ...job, onlyWhenDeployed: true, state: undefined, snapshot: undefined });
    }
  };
  const params = { workspace: deps.workspace, repo_slug: repository, pull_request_id: id };
  const body = { content: { raw: content.text } };
  /** False when someone deleted our comment. */
  const edit = async (commentId: number): Promise<boolean> => {
    try {
      await job.author.learn(await deps.client.get({ endpoint: 'pullRequestComment', method: 'PUT', params: { ...params, comment_id: commentId }, body }, Written));
      return true;
    } catch (error) {
      if (error instanceof BitbucketError && error.kind === 'not-found') return false;
      throw error;
    }
  };
  let commentId = state.commentId;
  const othersPost = state.postingSince !== undefined && state.poster !== undefined && state.poster !== deps.poster && ctx.clock.now() - state.postingSince < POST_UNDER_WAY_MS;
  // Our comment may be there without our knowing: a post whose answer was lost, or a record that
  // expired (the comment's state is kept 45 days, and a backfill may replay an older merge). A merge
  // from the last day has neither, so a first post costs no search.
  if (commentId === undefined && (state.postingSince !== undefined || (!saved && mergedAt < ctx.clock.now() - FRESH_MERGE_MS))) {
    const found = await findOurs(params, deps.client, ctx.log, { author: await job.author.known(), postingSince: state.postingSince });
    if (found && found.raw === content.text) {
      await facts.putComment(repository, id, { commentId: found.id, ...written(content) });
      await catchUp();
      return { pullRequestId: id, done: 'unchanged' };
    }
    commentId = found?.id;
    // Not there yet: the other job's post is under way, and its answer is the comment.
    if (commentId === undefined && othersPost) return skip(POSTED_ELSEWHERE);
  }
  if (commentId !== undefined && !(await edit(commentId))) {
    // A person removed it (Bitbucket keeps a deleted comment and refuses its edit): posting it again on
    // the next deployment or replayed merge would undo their choice.
    await facts.putComment(repository, id, { ...state, deletedOnBitbucket: true });
    return skip('someone deleted the comment on Bitbucket');
  }
  let answer: Written | undefined;
  if (commentId === undefined) {
    // Written before the post: if its answer is lost, the next try looks for the comment first. Where
    // nothing was stored, two copies of the job may be here at once: only one writes it, and the other
    // reads again what the first wrote.
    const mark = { deployed: false, postingSince: ctx.clock.now(), poster: deps.poster };
    if (saved) await facts.putComment(repository, id, mark);
    else if (!(await facts.claimComment(repository, id, mark))) return upsert(repository, id, job);
    answer = await deps.client.get({ endpoint: 'pullRequestComments', method: 'POST', params, body }, Written);
    commentId = answer.id;
  }
  const posted = answer !== undefined;
  // Learnt before the id replaces the mark: an id is never on record while its author is not (own-comment.ts).
  if (answer) await job.author.learn(answer);
  await facts.putComment(repository, id, { commentId, ...written(content) });
  ctx.log.info({ repository, pullRequest: id, commentId, deployed: content.deployed }, posted ? 'posted the pull request comment' : 'updated the pull request comment');
  await catchUp();
  return { pullRequestId: id, done: posted ? 'posted' : 'edited' };
}

/** Whether a successful production deployment was recorded after the snapshot was read. */
async function deployedSince(facts: FactsStore, repository: string, snapshot: RepositorySnapshot): Promise<boolean> {
  const read = new Set(snapshot.deployments.map((d) => d.uuid));
  return (await facts.deployments(repository)).some((d) => isProduction(d) && succeeded(d) && !read.has(d.uuid));
}

/**
 * Size needs the pull request's diffstat unless the backfill already read it; file stats off means none.
 * An answer without a size (the diff is gone, or refused) is remembered, so it is asked for once.
 */
async function withSize(pr: PullRequestFacts, facts: FactsStore, deps: CommentDeps): Promise<PullRequestFacts> {
  if (pr.size || pr.sizeUnavailable || deps.preferences.commitStats === 'off') return pr;
  let found: Pick<PullRequestFacts, 'size' | 'sizeUnavailable'>;
  try {
    const size = await pullRequestSize(deps.client.get, pr.diffstatLink, { workspace: deps.workspace, repo_slug: pr.repository, pull_request_id: pr.id });
    found = size ? { size: { linesAdded: size.lines_added, linesRemoved: size.lines_removed, files: size.files, ...(size.partial ? { partial: true } : {}) } } : { sizeUnavailable: true };
  } catch (error) {
    if (error instanceof BitbucketError && error.transient) throw error;
    deps.ctx.log.warn({ repository: pr.repository, pullRequest: pr.id, error: errorMessage(error) }, 'pull request size not available');
    found = { sizeUnavailable: true };
  }
  // Read again after the request: a delivery recorded meanwhile (a retried approval from before the
  // merge) changed the facts, and writing back the copy read before it would lose what it added.
  const next = { ...((await facts.pullRequest(pr.repository, pr.id)) ?? pr), ...found };
  await facts.putPullRequest(next);
  return next;
}

interface Rendered {
  text: string;
  deployed: boolean;
  /** When the production deployment the text reports completed (whole seconds). */
  deployedAt?: number;
  undecided?: string;
}

async function render(pr: PullRequestFacts, facts: FactsStore, snapshot: RepositorySnapshot, preferences: Preferences): Promise<Rendered> {
  const figures = await figuresFor(facts, pr, snapshot.now, false, snapshot);
  const deploy = figures.pr.deploy;
  const deployedAt = 'deployedAt' in deploy ? deploy.deployedAt : undefined;
  // As the card says it: with file stats off the size is not read at all, so it is not "not known yet".
  const unread = !pr.size && !pr.sizeUnavailable && preferences.commitStats === 'off';
  const figuresRead = unread ? { ...figures.pr, size: { unavailable: SIZE_NOT_READ } } : figures.pr;
  return { text: renderComment(figuresRead, figures.repo, {}), deployed: 'seconds' in deploy, ...(deployedAt !== undefined ? { deployedAt } : {}), ...('undecided' in deploy ? { undecided: deploy.undecided } : {}) };
}

/** What the comment's state keeps of the text just written. */
function written(content: Rendered): Pick<CommentState, 'content' | 'deployed' | 'deployedAt'> {
  return { content: content.text, deployed: content.deployed, ...(content.deployedAt !== undefined ? { deployedAt: content.deployedAt } : {}) };
}

/** A deployment completed before the one the comment reports (which, kept before its time was, is none). */
function reportsEarlier(at: number | undefined, reported: number | undefined): boolean {
  return at !== undefined && reported !== undefined && at < reported;
}
