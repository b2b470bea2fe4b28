import type { Change, ChangeOf } from '../../change/change';
import type { DeliveryIntent } from '../../change/intents';
import type { Logger } from '../../ports';
import type { CloudClient } from './client';
import type { Lookups } from './lookups';
import { BitbucketError } from '../../errors';
import { Account, Commit, CommitStatusPage, Deployment, PullRequest, PullRequestComment, RefPage, type CommitStatus, type Ref, type Repository } from './schema';

// Fetches what a thin change lacks, as Bitbucket API objects. The cost per event is the point: a pull
// request event is one request (the pull request; repository and accounts come from the cache), a
// comment two, a build status two, a push three plus one per extra hundred commits (and one if its ref
// moved on before it was read), a deployment one.

/** Commits a push lists in full under `pandev.commits`; beyond it the list says it is truncated. */
export const PUSH_COMMIT_PAGES = 10;

export type CloudParts =
  | { family: 'pullrequest'; actor?: Account; repository: Repository; pullrequest: PullRequest; comment?: PullRequestComment; reviewer?: Account }
  | { family: 'push'; actor?: Account; repository: Repository; change: ChangeOf<'push'>; oldRef: Ref | null; newRef: Ref | null; commits: Commit[]; commitsTruncated: boolean }
  | { family: 'repository'; actor?: Account; repository: Repository; changes?: Record<string, unknown> }
  | { family: 'build-status'; actor?: Account; repository: Repository; status: CommitStatus }
  | { family: 'deployment'; repository: Repository; deployment: Deployment; change: ChangeOf<'deployment'> };

export interface EnrichDeps {
  client: CloudClient;
  lookups: Lookups;
  /** The pull request read for this change already, just before it was staged (change-preparer.ts): not read again. */
  pullrequest?: PullRequest;
  /** Likewise the comment an edit is of. */
  comment?: PullRequestComment;
  /** Where a body that says less than its event says why (a forced push sent as its head alone). */
  log?: Logger;
}

export async function enrichCloud(change: Change, intent: DeliveryIntent, deps: EnrichDeps): Promise<CloudParts> {
  const { client, lookups } = deps;
  const ws = change.workspace;
  const repo = change.repository.uuid;
  const params = { workspace: ws, repo_slug: repo };
  const named = namedSlug(change);
  switch (change.kind) {
    case 'pullrequest':
    case 'comment':
    case 'reviewer': {
      const [repository, pullrequest] = await Promise.all([
        lookups.repository(ws, repo, named),
        deps.pullrequest?.id === change.pullRequestId ? deps.pullrequest : client.get({ endpoint: 'pullRequest', params: { ...params, pull_request_id: change.pullRequestId } }, PullRequest),
      ]);
      const comment = change.kind === 'comment'
        ? deps.comment?.id === change.commentId ? deps.comment : await client.get({ endpoint: 'pullRequestComment', params: { ...params, pull_request_id: change.pullRequestId, comment_id: change.commentId } }, PullRequestComment)
        : undefined;
      const people = [pullrequest.author, pullrequest.closed_by, comment?.user, ...(pullrequest.participants ?? []).map((p) => p.user)];
      const actor = change.actor ? await lookups.account(change.actor, people) : undefined;
      const reviewer = intent.reviewer ? await lookups.account(intent.reviewer, people) : undefined;
      return { family: 'pullrequest', repository, pullrequest, ...(comment ? { comment } : {}), ...(actor ? { actor } : {}), ...(reviewer ? { reviewer } : {}) };
    }
    case 'push':
      return enrichPush(change, deps);
    case 'repository': {
      // A deleted repository can no longer be read: describe it as last seen.
      const repository = change.action === 'deleted'
        ? ((await lookups.cachedRepository(repo)) ?? minimalRepository(change))
        : await lookups.repository(ws, repo, { refresh: change.action === 'updated', ...named });
      // The repository schema leaves its owner unchecked: an owner that is no account is no match.
      const owner = Account.safeParse(repository.owner);
      const actor = change.actor ? await lookups.account(change.actor, [owner.success ? owner.data : undefined]) : undefined;
      return { family: 'repository', repository, ...(actor ? { actor } : {}), ...(change.changes ? { changes: change.changes } : {}) };
    }
    case 'build-status': {
      const [repository, statuses] = await Promise.all([
        lookups.repository(ws, repo, named),
        // The list filtered by key, not the `statuses/build/{key}` item: a key may contain a slash.
        client.get({ endpoint: 'commitStatuses', params: { ...params, commit: change.commit }, query: { q: `key="${change.key}"`, pagelen: 1 } }, CommitStatusPage),
      ]);
      const status = statuses.values[0];
      if (!status) throw notFound(`build status "${change.key}" of commit ${change.commit}`);
      // The API's status names its commit by hash; the webhook carries the whole commit.
      const commit = await client.get({ endpoint: 'commit', params: { ...params, commit: change.commit } }, Commit);
      const actor = change.actor ? await lookups.account(change.actor, [commit.author?.user]) : undefined;
      return { family: 'build-status', repository, status: { ...status, ...reported(status, change), commit }, ...(actor ? { actor } : {}) };
    }
    case 'deployment': {
      const [repository, deployment] = await Promise.all([
        lookups.repository(ws, repo, named),
        client.get({ endpoint: 'deployment', params: { ...params, deployment_uuid: change.deploymentUuid } }, Deployment),
      ]);
      return { family: 'deployment', repository, deployment, change };
    }
  }
}

async function enrichPush(change: ChangeOf<'push'>, { client, lookups, log }: EnrichDeps): Promise<CloudParts> {
  const params = { workspace: change.workspace, repo_slug: change.repository.uuid };
  const repository = await lookups.repository(change.workspace, change.repository.uuid, namedSlug(change));
  const refEndpoint = change.ref.type === 'tag' ? 'tags' : 'branches';
  let collected = false;
  const [refs, before] = await Promise.all([
    // By name through `q`: branch names may contain slashes, which a path segment may not.
    change.after ? client.get({ endpoint: refEndpoint, params, query: { q: `name="${change.ref.name}"`, pagelen: 1 } }, RefPage) : undefined,
    change.before
      ? client.get({ endpoint: 'commit', params: { ...params, commit: change.before } }, Commit).catch((error: unknown) => {
          if (!(error instanceof BitbucketError && error.kind === 'not-found')) throw error;
          // A forced push's replaced head, which Bitbucket collects some time after the push: read later
          // (a retry, a backlog) it answers 404, and the push is still this one. Named by its hash alone.
          collected = true;
          return { type: 'commit', hash: change.before! };
        })
      : undefined,
  ]);
  const current = refs?.values.find((ref) => ref.name === change.ref.name);
  const newRef = change.after ? await refAt(change.after, current, change, client) : null;
  const oldRef: Ref | null = before ? { ...(current ?? { type: change.ref.type, name: change.ref.name }), target: before } : null;
  const commits: Commit[] = [];
  let commitsTruncated = false;
  if (change.after && change.ref.type === 'branch') {
    const after = change.after;
    const fromMain = mainBranchBesides(repository, change.ref.name);
    // A collected old head cannot bound the walk: the commits not on the main branch are the branch's
    // (some an earlier push sent already, as for a branch's creation); on the main branch itself, those
    // its event named.
    const bound = change.before && !collected ? change.before : fromMain;
    // Nothing bounds it (the main branch forced): the push's commits are those its event named, found
    // from the new head down (the event may name them by short hash, and its list may be cut).
    const walkNamed = async (named: NonNullable<ChangeOf<'push'>['named']>) => {
      const left = new Set(named.hashes);
      const query = { include: after, pagelen: 100 };
      if (left.size > 0) {
        for await (const page of client.pages({ endpoint: 'commits', params, query }, Commit, PUSH_COMMIT_PAGES)) {
          for (const commit of page) {
            const hash = [...left].find((h) => commit.hash.startsWith(h));
            if (hash === undefined) continue;
            commits.push(commit);
            left.delete(hash);
          }
          if (left.size === 0) break;
        }
      }
      commitsTruncated = named.truncated === true || left.size > 0;
    };
    // Nor named any (an event without its list, a change stored before lists were kept): from the new
    // head down is the branch's whole history, up to ten pages of requests for commits mostly not this
    // push's. What the app can vouch for is the head it moved to; `truncated`, as Bitbucket marks a
    // push whose list it cut.
    const headAlone = () => {
      if (newRef?.target) commits.push(newRef.target);
      commitsTruncated = true;
      log?.info(
        { repository: change.repository.uuid, ref: change.ref.name, before: change.before, after },
        'a forced push replaced a head Bitbucket no longer has, and its event listed no commits: nothing bounds its commits on this branch, so only its new head is sent, marked truncated',
      );
    };
    const walk = async (exclude: string | undefined) => {
      if (exclude === undefined && collected && change.named) return walkNamed(change.named);
      if (exclude === undefined && collected) return headAlone();
      const query = { include: after, ...(exclude ? { exclude } : {}), pagelen: 100 };
      let pages = 0;
      for await (const page of client.pages({ endpoint: 'commits', params, query }, Commit, PUSH_COMMIT_PAGES + 1)) {
        if (++pages > PUSH_COMMIT_PAGES) {
          commitsTruncated = true;
          break;
        }
        commits.push(...page);
      }
    };
    await walk(bound).catch(async (error: unknown) => {
      if (bound === undefined || bound !== fromMain || !(error instanceof BitbucketError && error.kind === 'not-found')) throw error;
      // The main branch of a cached repository (kept six hours) renamed or deleted since: Bitbucket
      // answers 404 to a walk it bounds, and the push was dropped as gone. Asked afresh, once.
      const current = mainBranchBesides(await lookups.repository(change.workspace, change.repository.uuid, { refresh: true }), change.ref.name);
      if (current === bound) throw error;
      commits.length = 0;
      commitsTruncated = false;
      await walk(current);
    });
  }
  const actor = change.actor ? await lookups.account(change.actor, commits.map((c) => c.author?.user)) : undefined;
  return { family: 'push', repository, change, oldRef, newRef, commits, commitsTruncated, ...(actor ? { actor } : {}) };
}

/**
 * The ref as this push left it. It is read later, when it may have moved on or been deleted: then its
 * tip is not this push's, and the commit the push moved it to is read instead (one request more).
 */
async function refAt(after: string, current: Ref | undefined, change: ChangeOf<'push'>, client: CloudClient): Promise<Ref> {
  if (current?.target?.hash === after) return current;
  const target = await client.get({ endpoint: 'commit', params: { workspace: change.workspace, repo_slug: change.repository.uuid, commit: after } }, Commit);
  return { ...(current ?? { type: change.ref.type, name: change.ref.name }), target };
}

/**
 * The status is read later, when its build may have reported again (a failure re-run green): the
 * event's own state and time are what it is about, or PanDev would never see the failure.
 */
function reported(status: CommitStatus, change: ChangeOf<'build-status'>): Partial<CommitStatus> {
  if (status.state === change.state) return {};
  return { state: change.state, ...(change.updatedOn ? { updated_on: change.updatedOn } : {}) };
}

/** The repository's main branch, unless it is `branch` itself (whose commits are all on it). */
function mainBranchBesides(repository: Repository, branch: string): string | undefined {
  const main = (repository.mainbranch as { name?: unknown } | undefined)?.name;
  return typeof main === 'string' && main !== branch ? main : undefined;
}

/** The slug a Forge event named (history's changes carry the repository's name there instead). */
function namedSlug(change: Change): { slug?: string } {
  return change.origin === 'trigger' && change.repository.slug ? { slug: change.repository.slug } : {};
}

function notFound(what: string): BitbucketError {
  return new BitbucketError('not-found', 404, what, `Bitbucket has no ${what}`);
}

function minimalRepository(change: Change): Repository {
  return { type: 'repository', uuid: change.repository.uuid, full_name: change.repository.slug ?? change.repository.uuid, name: change.repository.slug ?? change.repository.uuid };
}
