// Commit history (`git log` semantics with include/exclude), single commits and diffstats.
import { allTips, diffstat, firstParent, log, resolveRevision } from '../model/graph';
import type { Repository } from '../model/types';
import { fail, listResponse, objectResponse } from '../http/respond';
import type { RequestContext, Route } from '../http/types';
import { commit, commitDetail, diffstatEntry } from '../render/commits';
import { all, requireCommit, requireRepository } from './resolve';

function revisions(repo: Repository, names: string[]): string[] {
  return names.map((name) => resolveRevision(repo, name) ?? fail(404, `Commit not found`, `No commit matches '${name}'.`));
}

/** Without any include, history starts from every branch and tag, like `git log --all`. */
function history(ctx: RequestContext, repo: Repository, revision?: string) {
  const include = revisions(repo, [...(revision ? [revision] : []), ...all(ctx, 'include')]);
  const exclude = revisions(repo, all(ctx, 'exclude'));
  const commits = log(repo, include.length > 0 ? include : allTips(repo), exclude);
  return listResponse(ctx, commits.map((value) => commit(ctx.runtime.render, repo, value)), { counted: false });
}

/** `sha`, `a..b` (changes from b to a) or the pull request link form `ws/repo:a%0Db`. */
const DIFF_SPEC = /^(?:[^/]+\/[^:]+:)?(.+?)(?:(?:\.\.|\r)(.+))?$/;

export const commitRoutes: Route[] = [
  { method: 'GET', template: '/repositories/{workspace}/{repo_slug}/commits', handler: (ctx) => history(ctx, requireRepository(ctx)) },
  {
    method: 'GET', template: '/repositories/{workspace}/{repo_slug}/commits/{revision+}',
    handler: (ctx) => history(ctx, requireRepository(ctx), ctx.params.revision),
  },
  {
    method: 'GET', template: '/repositories/{workspace}/{repo_slug}/commit/{commit}',
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      return objectResponse(ctx, commitDetail(ctx.runtime.render, repo, requireCommit(repo, ctx.params.commit ?? '')));
    },
  },
  {
    method: 'GET', template: '/repositories/{workspace}/{repo_slug}/diffstat/{spec+}',
    handler: (ctx) => {
      const repo = requireRepository(ctx);
      const [, head = '', base] = DIFF_SPEC.exec(ctx.params.spec ?? '') ?? [];
      const headHash = requireCommit(repo, head).hash;
      const baseHash = base === undefined ? firstParent(repo, headHash) : requireCommit(repo, base).hash;
      const entries = diffstat(repo, headHash, baseHash).map((change) => diffstatEntry(ctx.runtime.render, repo, change, headHash, baseHash));
      return listResponse(ctx, entries, { defaultPagelen: 500, maxPagelen: 5000 });
    },
  },
];
