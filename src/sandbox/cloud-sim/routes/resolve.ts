// Path parameters to model objects, answering 404 the way Bitbucket does when something is missing.
// `{workspace}` and `{repo_slug}` accept a slug or a brace-wrapped UUID.
import { resolveRevision } from '../model/graph';
import type { Commit, PullRequest, Repository } from '../model/types';
import { fail } from '../http/respond';
import type { RequestContext } from '../http/types';

export function requireWorkspace(ctx: RequestContext): void {
  const ref = ctx.params.workspace ?? '';
  if (!ctx.runtime.model.isWorkspace(ref)) fail(404, `No workspace with identifier '${ref}'.`);
}

export function requireRepository(ctx: RequestContext): Repository {
  requireWorkspace(ctx);
  const ref = ctx.params.repo_slug ?? '';
  const repo = ctx.runtime.model.repository(ref);
  if (!repo) return fail(404, `Repository ${ctx.params.workspace}/${ref} not found`);
  return repo;
}

export function requirePullRequest(ctx: RequestContext, repo: Repository): PullRequest {
  const id = Number(ctx.params.pull_request_id);
  const pr = Number.isInteger(id) ? repo.pullRequests.get(id) : undefined;
  if (!pr) return fail(404, `Pull request ${ctx.params.pull_request_id} not found`);
  return pr;
}

export function requireCommit(repo: Repository, revision: string): Commit {
  const hash = resolveRevision(repo, revision);
  const commit = hash ? repo.commits.get(hash) : undefined;
  if (!commit) return fail(404, `Commit not found`, `No commit matches '${revision}'.`);
  return commit;
}

/** Repeated query parameters, as `state=OPEN&state=MERGED` or `include=a&include=b`. */
export const all = (ctx: RequestContext, name: string): string[] => ctx.url.searchParams.getAll(name);
