// Pull requests and what hangs off them: activities, commits, changes.
import { findCommit, pullRequestChanges } from '../model/commits';
import { findPullRequest, listPullRequestIds, targetHash, type PullRequestOrder } from '../model/pull-requests';
import type { DcRepository } from '../model/repository';
import type { Activity, PullRequest } from '../model/types';
import { EXCEPTIONS, fail, ok, page, PAGE_CAP } from '../http/respond';
import type { DcRequest, DcRoute } from '../http/types';
import { change, commit } from '../render/commits';
import { activity, pullRequest } from '../render/pull-requests';
import { param, requirePullRequest, requireRepository } from './resolve';

const STATES = ['OPEN', 'MERGED', 'DECLINED'];
const BASE = '/projects/{projectKey}/repos/{repositorySlug}/pull-requests';

function wantedStates(req: DcRequest): Set<string> {
  const state = (param(req, 'state') ?? 'OPEN').toUpperCase();
  if (state === 'ALL') return new Set(STATES);
  if (!STATES.includes(state)) fail(400, `Invalid pull request state ${state}: must be one of ALL, ${STATES.join(', ')}`, EXCEPTIONS.argument);
  return new Set([state]);
}

function order(req: DcRequest): PullRequestOrder {
  const value = (param(req, 'order') ?? 'NEWEST').toUpperCase();
  if (value !== 'NEWEST' && value !== 'OLDEST') fail(400, `Invalid order ${value}: must be NEWEST or OLDEST`, EXCEPTIONS.argument);
  return value as PullRequestOrder;
}

/** `direction`, `at`, `draft` and `filterText` narrow the list after the cheap state filter. */
function matches(req: DcRequest, repo: DcRepository, pr: PullRequest): boolean {
  const direction = (param(req, 'direction') ?? 'INCOMING').toUpperCase();
  const at = param(req, 'at')?.replace(/^refs\/heads\//, '');
  const filter = param(req, 'filterText')?.toLowerCase();
  const draft = param(req, 'draft');
  if (direction === 'OUTGOING' && pr.from.repositoryId !== repo.id) return false;
  if (at && (direction === 'OUTGOING' ? pr.from.branch : pr.to.branch) !== at) return false;
  if (draft !== null && String(pr.draft) !== draft.toLowerCase()) return false;
  return !filter || pr.title.toLowerCase().includes(filter) || pr.description.toLowerCase().includes(filter);
}

function listPullRequests(req: DcRequest): ReturnType<typeof page> {
  const repo = requireRepository(req);
  const ids = listPullRequestIds(repo, wantedStates(req), order(req), req.runtime.pullRequestsBy);
  const narrowed = ['direction', 'at', 'draft', 'filterText'].some((name) => param(req, name) !== null);
  const properties = param(req, 'withProperties') !== 'false';
  const model = req.runtime.model;
  // Without extra filters only the requested page is generated, which keeps 100k-PR listings cheap.
  const items = narrowed ? ids.flatMap((id) => findPullRequest(model, repo, id) ?? []).filter((pr) => matches(req, repo, pr)) : ids;
  return page<number | PullRequest>(req.url, items, (item) => {
    const pr = typeof item === 'number' ? (findPullRequest(model, repo, item) as PullRequest) : item;
    return pullRequest(req.runtime.render, repo, pr, { properties });
  });
}

function commitsOf(req: DcRequest, repo: DcRepository, pr: PullRequest) {
  const source = req.runtime.model.repositoryById(pr.from.repositoryId);
  return pr.commits.flatMap((hash) => findCommit(req.runtime.model, source, hash) ?? []);
}

export const pullRequestRoutes: DcRoute[] = [
  { method: 'GET', template: BASE, handler: listPullRequests },
  {
    method: 'GET', template: `${BASE}/{pullRequestId}`,
    handler: (req) => {
      const repo = requireRepository(req);
      return ok(pullRequest(req.runtime.render, repo, requirePullRequest(req, repo)));
    },
  },
  {
    method: 'GET', template: `${BASE}/{pullRequestId}/activities`,
    handler: (req) => {
      const repo = requireRepository(req);
      const pr = requirePullRequest(req, repo);
      const listed = req.runtime.commentEditActivities ? pr.activities : pr.activities.filter((value) => !isCommentEditOrDeletion(value));
      return page(req.url, [...listed].reverse(), (value) => activity(req.runtime.render, repo, pr, value), PAGE_CAP.activities);
    },
  },
  {
    method: 'GET', template: `${BASE}/{pullRequestId}/commits`,
    handler: (req) => {
      const repo = requireRepository(req);
      const pr = requirePullRequest(req, repo);
      const source = req.runtime.model.repositoryById(pr.from.repositoryId);
      return page(req.url, commitsOf(req, repo, pr).reverse(), (value) => commit(req.runtime.render, source, value));
    },
  },
  {
    method: 'GET', template: `${BASE}/{pullRequestId}/changes`,
    handler: (req) => {
      const repo = requireRepository(req);
      const pr = requirePullRequest(req, repo);
      const browse = `${req.runtime.render.base}/projects/${repo.projectKey}/repos/${repo.slug}/pull-requests/${pr.id}/diff`;
      const changes = pullRequestChanges(commitsOf(req, repo, pr));
      return page(req.url, changes, (value) => change(req.runtime.render, browse, value), undefined, {
        fromHash: pr.from.hash, toHash: targetHash(req.runtime.model, repo, pr), properties: { changeScope: 'ALL' },
      });
    },
  },
];

function isCommentEditOrDeletion(value: Activity): boolean {
  return value.action === 'COMMENTED' && (value.commentAction === 'EDITED' || value.commentAction === 'DELETED');
}
