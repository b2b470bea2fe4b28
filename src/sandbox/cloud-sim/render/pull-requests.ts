// Pull requests, their comments and their activity log.
import type { ActivityEntry, Participant, PullRequest, PullRequestComment, PullRequestEndpoint, Repository } from '../model/types';
import { isoApi } from '../util/time';
import { account } from './accounts';
import { commitRef } from './commits';
import { link, rendered, repoApi, repoHtml, type JsonObject, type RenderContext } from './context';
import { repositoryRef } from './repositories';

/** Fields the list endpoint leaves out unless asked for with `fields=+values.<name>` (as Bitbucket does). */
export const LIST_HIDDEN_FIELDS = ['values.rendered', 'values.reviewers', 'values.participants', 'values.queued'];

function pullRequestRef(ctx: RenderContext, repo: Repository, pr: PullRequest): JsonObject {
  return {
    type: 'pullrequest', id: pr.id, title: pr.title,
    links: { self: link(`${repoApi(ctx, repo)}/pullrequests/${pr.id}`), html: link(`${repoHtml(ctx, repo)}/pull-requests/${pr.id}`) },
  };
}

/** The source branch carries (empty) links and sync strategies in real payloads; the destination does not. */
function endpoint(ctx: RenderContext, repo: Repository, value: PullRequestEndpoint, side: 'source' | 'destination'): JsonObject {
  return {
    branch: side === 'source' ? { name: value.branch, links: {}, sync_strategies: ['merge_commit', 'rebase'] } : { name: value.branch },
    commit: commitRef(ctx, repo, value.hash.slice(0, 12)),
    repository: repositoryRef(ctx, repo),
  };
}

function participant(ctx: RenderContext, value: Participant): JsonObject {
  return {
    type: 'participant', user: account(ctx, ctx.model.userByUuid(value.userUuid)), role: value.role,
    approved: value.approved, state: value.state, participated_on: isoApi(value.participatedOn),
  };
}

export function pullRequest(ctx: RenderContext, repo: Repository, pr: PullRequest): JsonObject {
  const self = `${repoApi(ctx, repo)}/pullrequests/${pr.id}`;
  const spec = `${ctx.model.workspace.slug}/${repo.slug}:${pr.source.hash.slice(0, 12)}%0D${pr.destination.hash.slice(0, 12)}`;
  const closedBy = pr.closedByUuid ? ctx.model.userByUuid(pr.closedByUuid) : undefined;
  return {
    comment_count: pr.comments.filter((comment) => !comment.deleted).length,
    task_count: 0,
    type: 'pullrequest',
    id: pr.id,
    title: pr.title,
    description: pr.description,
    rendered: { title: rendered(pr.title), description: rendered(pr.description) },
    state: pr.state,
    draft: pr.draft,
    merge_commit: pr.mergeHash ? commitRef(ctx, repo, pr.mergeHash.slice(0, 12)) : null,
    close_source_branch: pr.closeSourceBranch,
    closed_by: closedBy ? account(ctx, closedBy) : null,
    author: account(ctx, ctx.model.userByUuid(pr.authorUuid)),
    reason: pr.reason,
    created_on: isoApi(pr.createdOn),
    updated_on: isoApi(pr.updatedOn),
    destination: endpoint(ctx, repo, pr.destination, 'destination'),
    source: endpoint(ctx, repo, pr.source, 'source'),
    reviewers: pr.reviewerUuids.map((uuid) => account(ctx, ctx.model.userByUuid(uuid))),
    participants: pr.participants.map((value) => participant(ctx, value)),
    links: {
      self: link(self),
      html: link(`${repoHtml(ctx, repo)}/pull-requests/${pr.id}`),
      commits: link(`${self}/commits`),
      approve: link(`${self}/approve`),
      'request-changes': link(`${self}/request-changes`),
      diff: link(`${repoApi(ctx, repo)}/diff/${spec}?from_pullrequest_id=${pr.id}&topic=true`),
      diffstat: link(`${repoApi(ctx, repo)}/diffstat/${spec}?from_pullrequest_id=${pr.id}&topic=true`),
      comments: link(`${self}/comments`),
      activity: link(`${self}/activity`),
      merge: link(`${self}/merge`),
      decline: link(`${self}/decline`),
      statuses: link(`${self}/statuses`),
    },
    summary: rendered(pr.description),
    queued: false,
  };
}

export function comment(ctx: RenderContext, repo: Repository, pr: PullRequest, value: PullRequestComment): JsonObject {
  const self = `${repoApi(ctx, repo)}/pullrequests/${pr.id}/comments/${value.id}`;
  return {
    id: value.id,
    created_on: isoApi(value.createdOn),
    updated_on: isoApi(value.updatedOn),
    content: rendered(value.raw),
    user: account(ctx, ctx.model.userByUuid(value.userUuid)),
    deleted: value.deleted,
    ...(value.inline ? { inline: value.inline } : {}),
    ...(value.parentId === undefined ? {} : { parent: { id: value.parentId, links: { self: link(`${repoApi(ctx, repo)}/pullrequests/${pr.id}/comments/${value.parentId}`) } } }),
    type: 'pullrequest_comment',
    links: { self: link(self), html: link(`${repoHtml(ctx, repo)}/pull-requests/${pr.id}/_/diff#comment-${value.id}`) },
    pullrequest: pullRequestRef(ctx, repo, pr),
  };
}

function activityPart(ctx: RenderContext, repo: Repository, pr: PullRequest, entry: ActivityEntry): JsonObject {
  switch (entry.kind) {
    case 'update':
      return {
        update: {
          description: entry.description, title: entry.title, reason: entry.reason, state: entry.state,
          destination: endpoint(ctx, repo, entry.destination, 'destination'), source: endpoint(ctx, repo, entry.source, 'source'),
          author: account(ctx, ctx.model.userByUuid(entry.actorUuid)), date: isoApi(entry.date),
        },
      };
    case 'approval':
    case 'changes_request':
      return {
        [entry.kind]: { date: isoApi(entry.date), pullrequest: pullRequestRef(ctx, repo, pr), user: account(ctx, ctx.model.userByUuid(entry.userUuid)) },
      };
    case 'comment':
      return { comment: comment(ctx, repo, pr, pr.comments.find((value) => value.id === entry.commentId) as PullRequestComment) };
  }
}

export function activityEntry(ctx: RenderContext, repo: Repository, pr: PullRequest, entry: ActivityEntry): JsonObject {
  return { ...activityPart(ctx, repo, pr, entry), pull_request: pullRequestRef(ctx, repo, pr) };
}
