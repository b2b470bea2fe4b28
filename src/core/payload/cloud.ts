import type { Change } from '../change/change';
import { normalizeTime } from '../change/delivery-id';
import type { DeliveryIntent } from '../change/intents';
import type { CloudParts } from '../enrich/cloud/enrich';
import type { Account, Commit, PullRequest, Ref, Repository } from '../enrich/cloud/schema';
import { isProductionEnvironment } from '../change/environment';
import { deploymentAtStep } from './deployment-step';
import { nativeRepositoryChanges } from './repository-changes';

// Native Bitbucket Cloud webhook bodies, built from API objects (Cloud API and webhook objects share one
// representation). Pure: the same parts always give the same body. What PanDev needs and the native
// shape lacks goes in one additive `pandev` object beside the native keys.

export type Body = Record<string, unknown>;

/** Bitbucket lists at most this many commits per change in a push webhook and sets `truncated`. */
const WEBHOOK_PUSH_COMMITS = 5;

export function cloudBody(parts: CloudParts, intent: DeliveryIntent, change: Change): Body {
  const pandev: Body = { schema_version: 1, event_time: normalizeTime(change.at), entity: intent.entity };
  switch (parts.family) {
    case 'pullrequest':
      return { ...pullRequestBody(parts, intent, change), pandev };
    case 'push':
      return {
        actor: parts.actor ?? minimalAccount(change),
        repository: webhookRepository(parts.repository),
        push: { changes: [pushChange(parts)] },
        pandev: { ...pandev, ref: parts.change.ref, commits: parts.commits.map(pandevCommit), commits_truncated: parts.commitsTruncated },
      };
    case 'repository': {
      const updated = intent.eventKey === 'repo:updated' ? nativeRepositoryChanges(parts.changes ?? {}, parts.repository) : undefined;
      return {
        actor: parts.actor ?? minimalAccount(change),
        repository: webhookRepository(parts.repository),
        ...(updated ? { changes: updated.changes } : {}),
        pandev: updated?.truncated.length ? { ...pandev, truncated: updated.truncated } : pandev,
      };
    }
    case 'build-status':
      return {
        actor: parts.actor ?? minimalAccount(change),
        repository: webhookRepository(parts.repository),
        commit_status: { ...parts.status, repository: webhookRepository(parts.repository) },
        pandev,
      };
    case 'deployment':
      return deploymentBody(parts, pandev);
  }
}

function pullRequestBody(parts: Extract<CloudParts, { family: 'pullrequest' }>, intent: DeliveryIntent, change: Change): Body {
  const body: Body = {
    actor: parts.actor ?? minimalAccount(change),
    repository: webhookRepository(parts.repository),
    pullrequest: parts.pullrequest,
  };
  if (parts.comment) body.comment = parts.comment;
  if (intent.reviewer) {
    const user = parts.reviewer ?? { type: 'user', uuid: intent.reviewer.uuid, account_id: intent.reviewer.accountId };
    const review = { date: intent.reviewer.at, user, pullrequest: pullRequestSummary(parts.pullrequest) };
    const isApproval = intent.eventKey === 'pullrequest:approved' || intent.eventKey === 'pullrequest:unapproved';
    body[isApproval ? 'approval' : 'changes_request'] = review;
  }
  return body;
}

function pushChange(parts: Extract<CloudParts, { family: 'push' }>): Body {
  const { change } = parts;
  const links = pushLinks(parts);
  return {
    old: parts.oldRef ? refObject(parts.oldRef) : null,
    new: parts.newRef ? refObject(parts.newRef) : null,
    created: change.created,
    closed: change.closed,
    forced: change.forced,
    truncated: parts.commits.length > WEBHOOK_PUSH_COMMITS || parts.commitsTruncated,
    commits: parts.commits.slice(0, WEBHOOK_PUSH_COMMITS).map(webhookCommit),
    ...(links ? { links } : {}),
  };
}

// As Bitbucket links each kind of change (real payloads in ../shared/fixtures): a deleted ref has no
// links, a created one its commits (and a branch its page), an update its range.
function pushLinks(parts: Extract<CloudParts, { family: 'push' }>): Body | undefined {
  const { change, repository } = parts;
  if (!change.after) return undefined;
  const html = (repository.links as { html?: { href?: string } } | undefined)?.html?.href ?? '';
  const self = (repository.links as { self?: { href?: string } } | undefined)?.self?.href ?? '';
  if (!change.before) {
    const commits = { href: `${self}/commits?include=${change.after}` };
    return change.ref.type === 'branch' ? { commits, html: { href: `${html}/branch/${change.ref.name}` } } : { commits };
  }
  const range = `${change.after}..${change.before}`;
  return {
    commits: { href: `${self}/commits?include=${change.after}&exclude=${change.before}` },
    diff: { href: `${self}/diff/${range}` },
    html: { href: `${html}/branches/compare/${range}` },
  };
}

// Tags carry their own tagger, date and message; the API omits them for lightweight tags.
function refObject(ref: Ref): Body {
  const target = ref.target ? { target: webhookCommit(ref.target) } : {};
  return ref.type === 'tag' ? { tagger: null, date: null, message: null, ...ref, ...target } : { ...ref, ...target };
}

/** A commit as push webhooks show it: they always carry `committer` and `properties`, often empty. */
function webhookCommit(commit: Commit): Body {
  return { committer: {}, properties: {}, ...commit };
}

function deploymentBody(parts: Extract<CloudParts, { family: 'deployment' }>, pandev: Body): Body {
  const { change } = parts;
  const { deployment, derived } = deploymentAtStep(parts.deployment, change.action);
  const state = deployment.state as { name?: string; status?: { name?: string }; started_on?: string; completed_on?: string } | undefined;
  const release = deployment.release as { commit?: { hash?: string }; pipeline?: { uuid?: string } } | undefined;
  const environment = { uuid: change.environmentUuid, name: change.environment?.name ?? null, type: change.environment?.type ?? null };
  return {
    repository: webhookRepository(parts.repository),
    deployment,
    environment,
    pandev: {
      ...pandev,
      deployment: {
        uuid: deployment.uuid,
        action: change.action,
        state: state?.name ?? change.state ?? null,
        status: state?.status?.name ?? null,
        environment,
        is_production: isProductionEnvironment(change.environment),
        commit: release?.commit?.hash ?? null,
        pipeline_uuid: release?.pipeline?.uuid ?? change.pipelineUuid ?? null,
        started_on: state?.started_on ?? null,
        completed_on: state?.completed_on ?? null,
      },
      ...(derived.length ? { derived } : {}),
    },
  };
}

/** The repository as webhooks show it: the API object, with the keys webhooks always carry. */
export function webhookRepository(repository: Repository): Body {
  return { ...repository, website: repository.website ?? null, parent: repository.parent ?? null };
}

function pullRequestSummary(pr: PullRequest): Body {
  return { type: 'pullrequest', id: pr.id, title: pr.title, links: pr.links };
}

function pandevCommit(commit: Commit): Body {
  return {
    hash: commit.hash,
    date: commit.date ?? null,
    message: commit.message ?? null,
    author: { raw: commit.author?.raw ?? null, uuid: commit.author?.user?.uuid ?? null, account_id: commit.author?.user?.account_id ?? null },
    parents: (commit.parents ?? []).map((parent) => parent.hash),
  };
}

function minimalAccount(change: Change): Account | null {
  return change.actor ? { type: 'user', uuid: change.actor.uuid, account_id: change.actor.accountId } : null;
}
