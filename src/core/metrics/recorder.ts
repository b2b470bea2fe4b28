import { z } from 'zod';
import type { Change } from '../change/change';
import type { KeyValueStore } from '../ports';
import type { PullRequestFacts } from './facts';
import { lifeAfterClose, lifeFrom, withPush } from './branch-life';
import { liveFirstCommit, type FirstCommit } from './first-commit';
import { isOwnComment } from './marker';
import { factsStore, type BranchFacts, type FactsStore } from './store';

// Keeps the facts the metrics need from what was just delivered to PanDev: the body is the enriched
// event, so recording costs no Bitbucket request. Says what the comment should do next: post on a
// merge, revisit the pull requests waiting for production on a successful production deployment.

export type CommentWork = { pullRequestId: number } | { deployment: string };

const Account = z.looseObject({ uuid: z.string().optional() }).nullish();
const Endpoint = z.looseObject({
  branch: z.looseObject({ name: z.string() }).nullish(),
  commit: z.looseObject({ hash: z.string() }).nullish(),
  repository: z.looseObject({ uuid: z.string().optional() }).nullish(),
}).nullish();
const PullRequestBody = z.looseObject({
  id: z.number(),
  title: z.string().optional(),
  state: z.enum(['OPEN', 'MERGED', 'DECLINED', 'SUPERSEDED']),
  author: Account,
  created_on: z.string(),
  updated_on: z.string().optional(),
  merge_commit: z.looseObject({ hash: z.string() }).nullish(),
  source: Endpoint,
  destination: Endpoint,
  links: z.looseObject({ diffstat: z.looseObject({ href: z.string() }).optional() }).optional(),
});
const Review = z.looseObject({ date: z.string().optional(), created_on: z.string().optional(), user: Account, content: z.looseObject({ raw: z.string().nullish() }).nullish() });
const Extras = z.looseObject({
  first_commit_at: z.string().nullish(),
  first_commit_unavailable: z.enum(['source-unknown', 'older-than-window', 'undated']).optional(),
  size: z.looseObject({ files: z.number(), lines_added: z.number(), lines_removed: z.number(), partial: z.boolean().optional() }).optional(),
});
const PullRequestEvent = z.looseObject({
  pullrequest: PullRequestBody,
  approval: Review.optional(),
  changes_request: Review.optional(),
  comment: Review.optional(),
  pandev: z.looseObject({ pullrequest: Extras.optional() }).optional(),
});
const PushEvent = z.looseObject({
  push: z.looseObject({ changes: z.array(z.looseObject({ forced: z.boolean().optional(), created: z.boolean().optional(), closed: z.boolean().optional() })) }),
  pandev: z.looseObject({
    ref: z.looseObject({ type: z.string(), name: z.string() }),
    commits: z.array(z.looseObject({ hash: z.string(), date: z.string().nullish(), parents: z.array(z.string()).default([]) })),
  }),
});
const DeploymentEvent = z.looseObject({
  pandev: z.looseObject({
    deployment: z.looseObject({
      uuid: z.string(),
      action: z.string(),
      status: z.string().nullish(),
      is_production: z.boolean(),
      commit: z.string().nullish(),
      completed_on: z.string().nullish(),
      environment: z.looseObject({ uuid: z.string(), name: z.string().nullish(), type: z.string().nullish() }),
    }),
  }),
});

const WRITE_BATCH = 25;

const CLOSING_KEYS = new Set(['pullrequest:fulfilled', 'pullrequest:rejected']);

const REVIEW_KEYS: Record<string, 'approval' | 'changes_requested' | 'comment'> = {
  'pullrequest:approved': 'approval',
  'pullrequest:changes_request_created': 'changes_requested',
  'pullrequest:comment_created': 'comment',
};

export async function recordDelivered(store: KeyValueStore, eventKey: string, change: Change, body: string): Promise<CommentWork[]> {
  if (change.edition !== 'cloud') return [];
  const facts = factsStore(store);
  const json: unknown = JSON.parse(body);
  if (eventKey.startsWith('pullrequest:')) {
    const event = PullRequestEvent.safeParse(json);
    return event.success ? recordPullRequest(facts, eventKey, change, event.data) : [];
  }
  if (eventKey === 'repo:push') {
    const event = PushEvent.safeParse(json);
    if (!event.success) return [];
    await recordPush(facts, change.repository.uuid, change.at, event.data);
    // The commits may be what a waiting comment needed to tell whether a deployment includes its merge.
    // Left in place until the revisit is queued (revisitQueued): taken here, a push delivered again
    // (its hand-over failed, or its consumer stopped before it) would find nothing to revisit.
    const undecided = event.data.pandev.commits.length > 0 ? await facts.undecided(change.repository.uuid) : undefined;
    return undecided === undefined ? [] : [{ deployment: undecided }];
  }
  if (eventKey === 'pandev:deployment') {
    const event = DeploymentEvent.safeParse(json);
    return event.success ? recordDeployment(facts, change.repository.uuid, event.data.pandev.deployment) : [];
  }
  return [];
}

/** The host queued the comment work a delivery's facts asked for: a push's revisit is no longer owed. */
export async function revisitQueued(store: KeyValueStore, eventKey: string, repository: string, work: CommentWork[]): Promise<void> {
  if (eventKey !== 'repo:push') return;
  for (const w of work) if ('deployment' in w) await factsStore(store).dropUndecided(repository, w.deployment);
}

async function recordPullRequest(facts: FactsStore, eventKey: string, change: Change, event: z.infer<typeof PullRequestEvent>): Promise<CommentWork[]> {
  const pr = event.pullrequest;
  const repository = change.repository.uuid;
  const known = await facts.pullRequest(repository, pr.id);
  // The source branch's facts, read once for the first commit and the branch's new life (nothing here
  // writes them in between): each read is a metered storage call on Forge.
  const branches = new Map<string, Promise<BranchFacts | undefined>>();
  const branch = (name: string): Promise<BranchFacts | undefined> => {
    let read = branches.get(name);
    if (!read) branches.set(name, (read = facts.branch(repository, name)));
    return read;
  };
  const extras = event.pandev?.pullrequest;
  const stale = known !== undefined && isOlder(pr, known);
  const next: PullRequestFacts = {
    ...(stale ? known : { ...known, ...described(pr, known) }),
    repository,
    id: pr.id,
    ...(extras?.size && !(stale && known.size) ? { size: { linesAdded: extras.size.lines_added, linesRemoved: extras.size.lines_removed, files: extras.size.files, ...(extras.size.partial ? { partial: true } : {}) } } : {}),
  };
  // Merged at the fulfilled event's time. Another body says MERGED only by its updated_on, at or after
  // the merge (a comment made after it, delivered first): the earliest wins, whatever the order.
  const mergedSaid = eventKey === 'pullrequest:fulfilled' ? change.at : !stale && pr.state === 'MERGED' ? (pr.updated_on ?? change.at) : undefined;
  if (next.state === 'MERGED' && mergedSaid && (!next.mergedOn || Date.parse(mergedSaid) < Date.parse(next.mergedOn))) next.mergedOn = mergedSaid;
  Object.assign(next, await firstCommit(branch, next, extras));
  // Closing is the end of the source branch's life: its next pull request starts from the next push.
  // A fork's branch lives in the fork: the destination's branch of the same name goes on.
  if (!stale && next.sourceBranch && !next.fromFork && CLOSING_KEYS.has(eventKey) && next.state !== 'OPEN') {
    await startBranchLife(facts, repository, next.sourceBranch, change.at, next.state === 'MERGED' ? next.destinationBranch : undefined, branch);
  }
  const kind = REVIEW_KEYS[eventKey];
  const review = kind === 'approval' ? event.approval : kind === 'changes_requested' ? event.changes_request : kind === 'comment' && !isOwnComment(event.comment) ? event.comment : undefined;
  const at = review?.date ?? review?.created_on;
  const by = review?.user?.uuid;
  // A review is someone else's: the author answering in their own pull request is not a pickup.
  if (kind && at && by && by !== next.author && (!next.firstReview || Date.parse(at) < Date.parse(next.firstReview.at))) next.firstReview = { at, by, kind };
  await facts.putPullRequest(next);
  return eventKey === 'pullrequest:fulfilled' ? [{ pullRequestId: pr.id }] : [];
}

/** What the body says the pull request is: taken whole, or not at all when the body is older than the record. */
function described(pr: z.infer<typeof PullRequestBody>, known: PullRequestFacts | undefined): Pick<PullRequestFacts, 'title' | 'state' | 'createdOn' | 'revert'> & Partial<PullRequestFacts> {
  const title = pr.title ?? known?.title ?? '';
  return {
    title,
    state: pr.state,
    createdOn: pr.created_on,
    revert: isRevertTitle(title),
    ...(pr.updated_on ? { updatedOn: pr.updated_on } : {}),
    ...(pr.author?.uuid ? { author: pr.author.uuid } : {}),
    ...(pr.merge_commit?.hash ? { mergeCommit: pr.merge_commit.hash } : {}),
    ...(pr.source?.branch?.name ? { sourceBranch: pr.source.branch.name } : {}),
    ...(isFork(pr) ? { fromFork: true } : {}),
    ...(pr.destination?.branch?.name ? { destinationBranch: pr.destination.branch.name } : {}),
    ...(pr.source?.commit?.hash ? { sourceCommit: pr.source.commit.hash } : {}),
    ...(pr.destination?.commit?.hash ? { destinationCommit: pr.destination.commit.hash } : {}),
    ...(pr.links?.diffstat?.href ? { diffstatLink: pr.links.diffstat.href } : {}),
  };
}

/** Source and destination in different repositories: the source branch's pushes are the fork's. */
function isFork(pr: z.infer<typeof PullRequestBody>): boolean {
  const source = pr.source?.repository?.uuid;
  const destination = pr.destination?.repository?.uuid;
  return !!source && !!destination && source !== destination;
}

/**
 * A body is built when its event is enriched and may be delivered much later (an outbox retry, a late
 * trigger): an approval's body built while the pull request was open can arrive after the merge. Such a
 * body still tells its review, but not the pull request's state. Nothing un-merges a pull request; for
 * the rest Bitbucket's `updated_on` orders the bodies. Without both times (a record kept before
 * `updatedOn` was), a closed pull request is not taken back to OPEN.
 */
function isOlder(pr: z.infer<typeof PullRequestBody>, known: PullRequestFacts): boolean {
  if (known.state === 'MERGED' && pr.state !== 'MERGED') return true;
  const bodyAt = Date.parse(pr.updated_on ?? '');
  const knownAt = Date.parse(known.updatedOn ?? '');
  if (!Number.isNaN(bodyAt) && !Number.isNaN(knownAt)) return bodyAt < knownAt;
  return known.state !== 'OPEN' && pr.state === 'OPEN';
}

/** The backfill knows each pull request's first commit from the commit graph; live, the source branch's pushes tell (measured when read, compute.ts). */
async function firstCommit(branchFacts: (name: string) => Promise<BranchFacts | undefined>, pr: PullRequestFacts, extras: z.infer<typeof Extras> | undefined): Promise<FirstCommit> {
  if (extras?.first_commit_at) return { firstCommitOn: extras.first_commit_at, firstCommitUnavailable: undefined, firstCommitFromBranch: undefined };
  if (pr.firstCommitOn) return {};
  // The backfill's walk misses a fork's commits as it misses any unseen ones: the reason is the fork.
  if (pr.fromFork) return { firstCommitUnavailable: 'fork' };
  if (extras?.first_commit_unavailable) return { firstCommitUnavailable: extras.first_commit_unavailable };
  const branch = pr.sourceBranch ? await branchFacts(pr.sourceBranch) : undefined;
  return liveFirstCommit(pr, branch) ?? { firstCommitUnavailable: 'source-unknown' };
}

async function recordPush(facts: FactsStore, repository: string, at: string, event: z.infer<typeof PushEvent>): Promise<void> {
  const { ref, commits } = event.pandev;
  // A rebuilt push may list a thousand commits: written a batch at a time, not one round trip each.
  for (let i = 0; i < commits.length; i += WRITE_BATCH) {
    await Promise.all(commits.slice(i, i + WRITE_BATCH).map((commit) => facts.putCommit(repository, commit.hash, { parents: commit.parents, ...(commit.date ? { date: commit.date } : {}) })));
  }
  if (ref.type !== 'branch') return;
  const changes = event.push.changes;
  const known = await facts.branch(repository, ref.name);
  // Delivered late: the push belongs to an earlier life of the branch name, whose pull requests are closed.
  if (known?.since && Date.parse(at) < Date.parse(known.since)) return;
  if (changes.some((c) => c.closed === true)) return facts.putBranch(repository, ref.name, lifeFrom(known, at));
  // A new branch starts a new life even when it lists no commits of its own (made at another branch's head).
  const life = changes.some((c) => c.created === true) ? lifeFrom(known, at) : known;
  if (commits.length === 0 && life === known) return;
  const dates = commits.map((c) => c.date).filter((d): d is string => !!d).sort((a, b) => Date.parse(a) - Date.parse(b));
  const forced = changes.some((c) => c.forced === true);
  await facts.putBranch(repository, ref.name, withPush(life, { at, ...(dates[0] ? { firstCommitOn: dates[0] } : {}), ...(forced ? { forced } : {}) }));
}

/** A new life for the branch name from `at` on, unless one began later already (a replayed close). */
async function startBranchLife(facts: FactsStore, repository: string, name: string, at: string, mergedInto: string | undefined, branch: (name: string) => Promise<BranchFacts | undefined>): Promise<void> {
  const known = await branch(name);
  if (known?.since && Date.parse(known.since) >= Date.parse(at)) return;
  await facts.putBranch(repository, name, lifeAfterClose(known, at, mergedInto));
}

async function recordDeployment(facts: FactsStore, repository: string, deployment: z.infer<typeof DeploymentEvent>['pandev']['deployment']): Promise<CommentWork[]> {
  if (deployment.action !== 'completed' || !deployment.commit || !deployment.completed_on) return [];
  const environment = deployment.environment;
  await facts.putDeployment({
    repository,
    uuid: deployment.uuid,
    environment: { uuid: environment.uuid, ...(environment.name ? { name: environment.name } : {}), ...(environment.type ? { type: environment.type } : {}) },
    result: deployment.status ?? 'UNKNOWN',
    completedOn: deployment.completed_on,
    commit: deployment.commit,
  });
  return deployment.is_production && deployment.status === 'SUCCESSFUL' ? [{ deployment: deployment.uuid }] : [];
}

/**
 * A pull request that undoes an earlier change, by its title: git's and Bitbucket's own start with
 * `Revert "…"`, and many teams put their issue key first (`PROJ-12 Revert …`, `[PROJ-12] Revert: …`).
 */
export function isRevertTitle(title: string): boolean {
  return /^(?:\[?[A-Z][A-Z0-9_]*-\d+\]?[\s:-]*)?revert\b/i.test(title.trim());
}

