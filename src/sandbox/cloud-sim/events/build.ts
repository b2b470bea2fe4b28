// The parts every Forge event shares, and the compact pull request the PR events carry.
import type { SimModel } from '../model/state';
import type { PullRequest, Repository, SimUser } from '../model/types';
import { isoApi, isoZulu, type Micros } from '../util/time';
import type { ForgeActor, ForgePullRequest, TruncatedValue } from './types';

/** Forge events abbreviate commit hashes to 12 characters, as the events reference examples do. */
const shortHash = (hash: string): string => hash.slice(0, 12);

export function forgeActor(user: SimUser): ForgeActor {
  return { type: user.kind === 'app' ? 'app_user' : 'user', accountId: user.accountId, uuid: user.uuid };
}

/** Long free text is cut in events; the REST object has the whole value. */
export function truncate(value: string, max = 255): TruncatedValue {
  return value.length > max ? { value: value.slice(0, max), truncated: true } : { value, truncated: false };
}

/** `selfGenerated` is true when the app itself caused the event (it used its own token). */
export function repositoryScope(model: SimModel, repo: Repository, actor: SimUser, at: Micros) {
  return {
    timestamp: isoZulu(at),
    selfGenerated: actor.kind === 'app',
    actor: forgeActor(actor),
    repository: { uuid: repo.uuid, slug: repo.slug },
    project: { uuid: model.project(repo.projectKey).uuid },
    workspace: { uuid: model.workspace.uuid },
  };
}

export function forgePullRequest(model: SimModel, pr: PullRequest): ForgePullRequest {
  const author = model.userByUuid(pr.authorUuid);
  return {
    id: pr.id,
    state: pr.state,
    source: { branch: pr.source.branch, commit: { hash: shortHash(pr.source.hash) } },
    destination: { branch: pr.destination.branch, commit: { hash: shortHash(pr.destination.hash) } },
    title: truncate(pr.title),
    author: { type: 'user', accountId: author.accountId, uuid: author.uuid, displayName: author.displayName },
    ...(pr.mergeHash ? { mergeCommit: { hash: shortHash(pr.mergeHash) } } : {}),
    // Same value as the REST `updated_on`, so a consumer can match a live event to what it reads later.
    updatedOn: isoApi(pr.updatedOn),
    createdOn: isoApi(pr.createdOn),
    commentCount: pr.comments.filter((comment) => !comment.deleted).length,
    taskCount: 0,
  };
}
