// Name resolution and default choices shared by the actions.
import { SimConflictError, SimNotFoundError } from '../../sim-common/errors';
import { resolveRevision } from '../model/refs';
import type { DcRepository } from '../model/repository';
import type { DcUser, PullRequest } from '../model/types';
import { materialize } from '../model/pull-requests';
import type { DcRuntime } from '../runtime';

export class ActionScope {
  constructor(readonly runtime: DcRuntime) {}

  /** `PROJECT/slug`, or a bare slug when only one repository has it. */
  repo(ref: string): DcRepository {
    const model = this.runtime.model;
    const slash = ref.lastIndexOf('/');
    const found = slash > 0
      ? model.repository(ref.slice(0, slash), ref.slice(slash + 1))
      : model.repositories.filter((repo) => repo.slug === ref.toLowerCase()).at(0);
    if (!found) throw new SimNotFoundError(`repository ${ref} not found`);
    return found;
  }

  pullRequest(ref: { repository: string; pullRequestId: number }): { repo: DcRepository; pr: PullRequest } {
    const repo = this.repo(ref.repository);
    const pr = materialize(this.runtime.model, repo, ref.pullRequestId);
    if (!pr) throw new SimNotFoundError(`pull request #${ref.pullRequestId} not found in ${repo.projectKey}/${repo.slug}`);
    return { repo, pr };
  }

  /** The named user, or `fallback()` when no name is given. */
  user(ref: string | undefined, fallback: () => DcUser): DcUser {
    if (ref === undefined) return fallback();
    const found = this.runtime.model.user(ref);
    if (!found) throw new SimNotFoundError(`user ${ref} not found`);
    return found;
  }

  /** Someone other than the administrator and the people excluded. */
  randomUser(except: readonly DcUser[] = []): DcUser {
    const candidates = this.runtime.model.users.slice(1).filter((candidate) => !except.includes(candidate));
    if (candidates.length === 0) throw new SimConflictError('nobody left to choose');
    return this.runtime.rng.pick(candidates);
  }

  author(pr: PullRequest): DcUser {
    return this.runtime.model.userById(pr.authorId);
  }

  /** A branch, tag or commit id; the default branch tip when omitted. */
  commit(repo: DcRepository, revision: string | undefined): string {
    const hash = resolveRevision(this.runtime.model, repo, revision ?? repo.defaultBranch);
    if (!hash) throw new SimNotFoundError(`revision ${revision} not found in ${repo.slug}`);
    return hash;
  }
}
