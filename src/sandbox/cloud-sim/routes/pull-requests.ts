// Pull requests and their activity logs (per pull request and repository-wide).
import { log } from '../model/graph';
import type { PullRequest, Repository } from '../model/types';
import { fail, listResponse, objectResponse } from '../http/respond';
import type { HttpResult, RequestContext, Route } from '../http/types';
import { commit } from '../render/commits';
import { repoApi } from '../render/context';
import { activityEntry, LIST_HIDDEN_FIELDS, pullRequest } from '../render/pull-requests';
import { all, requirePullRequest, requireRepository } from './resolve';

const STATES = ['OPEN', 'MERGED', 'DECLINED', 'SUPERSEDED'];

/** Only OPEN by default; `state` repeats for more. `state=ALL` is undocumented but works on Cloud. */
function wantedStates(ctx: RequestContext): string[] {
  const requested = all(ctx, 'state').map((state) => state.toUpperCase());
  if (requested.includes('ALL')) return STATES;
  const invalid = requested.find((state) => !STATES.includes(state));
  if (invalid) fail(400, `Invalid state '${invalid}'`);
  return requested.length > 0 ? requested : ['OPEN'];
}

/** Newest first across every pull request given; only the page asked for is rendered. */
function activityOf(ctx: RequestContext, repo: Repository, prs: PullRequest[]): HttpResult {
  const entries = prs.flatMap((pr) => pr.activity.map((entry) => ({ pr, entry }))).sort((a, b) => b.entry.date - a.entry.date);
  return listResponse(ctx, entries, {
    maxPagelen: 50, counted: false,
    render: (item) => activityEntry(ctx.runtime.render, repo, (item as typeof entries[number]).pr, (item as typeof entries[number]).entry),
  });
}

export const pullRequestRoutes: Route[] = [
  {
    method: 'GET', template: '/repositories/{workspace}/{repo_slug}/pullrequests',
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      const states = wantedStates(ctx);
      const prs = [...repo.pullRequests.values()].filter((pr) => states.includes(pr.state));
      return listResponse(ctx, prs.map((pr) => pullRequest(ctx.runtime.render, repo, pr)), {
        maxPagelen: 50, filterable: true, defaultSort: '-updated_on', hidden: LIST_HIDDEN_FIELDS,
      });
    },
  },
  {
    method: 'GET', template: '/repositories/{workspace}/{repo_slug}/pullrequests/activity',
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      return activityOf(ctx, repo, [...repo.pullRequests.values()]);
    },
  },
  {
    method: 'GET', template: '/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}',
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      return objectResponse(ctx, pullRequest(ctx.runtime.render, repo, requirePullRequest(ctx, repo)));
    },
  },
  {
    method: 'GET', template: '/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/activity',
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      return activityOf(ctx, repo, [requirePullRequest(ctx, repo)]);
    },
  },
  {
    method: 'GET', template: '/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/commits',
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      const pr = requirePullRequest(ctx, repo);
      const commits = log(repo, [pr.source.hash], [pr.destination.hash]).map((value) => commit(ctx.runtime.render, repo, value));
      return listResponse(ctx, commits, { counted: false });
    },
  },
  {
    // Bitbucket answers with a redirect to the repository diffstat of the pull request's topic diff.
    method: 'GET', template: '/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/diffstat',
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      const pr = requirePullRequest(ctx, repo);
      const spec = `${ctx.runtime.model.workspace.slug}/${repo.slug}:${pr.source.hash.slice(0, 12)}%0D${pr.destination.hash.slice(0, 12)}`;
      const location = `${repoApi(ctx.runtime.render, repo)}/diffstat/${spec}?from_pullrequest_id=${pr.id}&topic=true`;
      return { status: 302, headers: { Location: location }, text: '' };
    },
  },
];
