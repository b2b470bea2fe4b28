// Path parameters to model objects, answering 404 with the message and exception class Data Center uses.
import { findCommit } from '../model/commits';
import { findPullRequest } from '../model/pull-requests';
import type { DcRepository } from '../model/repository';
import type { DcCommit, DcProject, PullRequest } from '../model/types';
import { EXCEPTIONS, fail } from '../http/respond';
import type { DcRequest } from '../http/types';

export function requireProject(req: DcRequest): DcProject {
  const key = req.params.projectKey ?? '';
  const project = req.runtime.model.project(key);
  if (!project) return fail(404, `Project ${key} does not exist.`, EXCEPTIONS.project);
  return project;
}

export function requireRepository(req: DcRequest): DcRepository {
  const project = requireProject(req);
  const slug = req.params.repositorySlug ?? '';
  const repo = req.runtime.model.repository(project.key, slug);
  if (!repo) return fail(404, `Repository ${project.key}/${slug} does not exist.`, EXCEPTIONS.repository);
  return repo;
}

/** The simulator's corrupt pull request fails on its own endpoints (not in lists), as a broken one does. */
export function requirePullRequest(req: DcRequest, repo: DcRepository): PullRequest {
  const raw = req.params.pullRequestId ?? '';
  const id = Number(raw);
  const corrupt = req.runtime.corrupt;
  if (corrupt && corrupt.repositoryId === repo.id && corrupt.pullRequestId === id) {
    fail(500, `An error occurred while reading pull request ${repo.projectKey}/${repo.slug}#${id}: object database corrupt (simulated)`, EXCEPTIONS.service);
  }
  const pr = Number.isInteger(id) && id > 0 ? findPullRequest(req.runtime.model, repo, id) : undefined;
  if (!pr) return fail(404, `No pull request exists with ID ${raw} for this repository ${repo.projectKey}/${repo.slug}.`, EXCEPTIONS.pullRequest);
  return pr;
}

export function requireCommit(req: DcRequest, repo: DcRepository): DcCommit {
  const id = req.params.commitId ?? '';
  const commit = findCommit(req.runtime.model, repo, id.toLowerCase());
  if (!commit) return fail(404, `Commit '${id}' does not exist in repository '${repo.slug}'.`, EXCEPTIONS.commit);
  return commit;
}

export const param = (req: DcRequest, name: string): string | null => req.url.searchParams.get(name);
