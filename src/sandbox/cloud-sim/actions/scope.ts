// Name resolution and default choices shared by the actions.
import { SimNotFoundError } from '../../sim-common/errors';
import { resolveRevision } from '../model/graph';
import type { PullRequest, Repository, SimUser } from '../model/types';
import { findPullRequest } from '../ops/pull-requests';
import type { SimRuntime } from '../runtime';

export class ActionScope {
  constructor(readonly runtime: SimRuntime) {}

  repo(ref: string): Repository {
    const repo = this.runtime.model.repository(ref);
    if (!repo) throw new SimNotFoundError(`repository ${ref} not found`);
    return repo;
  }

  pullRequest(ref: { repository: string; pullRequestId: number }): { repo: Repository; pr: PullRequest } {
    const repo = this.repo(ref.repository);
    return { repo, pr: findPullRequest(repo, ref.pullRequestId) };
  }

  /** The named user, or `fallback()` when no name is given. */
  user(ref: string | undefined, fallback: () => SimUser): SimUser {
    if (ref === undefined) return fallback();
    const user = this.runtime.model.user(ref);
    if (!user) throw new SimNotFoundError(`user ${ref} not found`);
    return user;
  }

  randomUser(except: readonly SimUser[] = []): SimUser {
    return this.runtime.rng.pick(this.runtime.model.users.filter((user) => !except.includes(user)));
  }

  owner = (): SimUser => this.runtime.model.owner();

  /** A branch, tag or hash; the main branch tip when omitted. */
  commit(repo: Repository, revision: string | undefined): string {
    const hash = resolveRevision(repo, revision ?? repo.mainBranch);
    if (!hash) throw new SimNotFoundError(`revision ${revision} not found in ${repo.slug}`);
    return hash;
  }
}
