// A repository: its seeded main line and pull requests in compact form, and explicit state for
// everything that changed live (commits, branch tips, tags, pull requests touched by an action).
import { LogCursors } from './log';
import type { BuildStatus, DcCommit, DcTag, PullRequest, SeededPullRequest } from './types';

/**
 * The seeded history of the default branch, oldest first: a commit per entry, either a direct push
 * (`pullRequest` -1) or the merge commit of a pull request. Typed arrays keep 100k entries cheap.
 */
export class MainLine {
  readonly at: Float64Array;
  readonly pullRequest: Int32Array;

  constructor(entries: readonly { at: number; pullRequest: number }[]) {
    this.at = Float64Array.from(entries, (entry) => entry.at);
    this.pullRequest = Int32Array.from(entries, (entry) => entry.pullRequest);
  }

  get length(): number {
    return this.at.length;
  }

  /** The last position at or before `ms` (0 if none: the initial commit). */
  positionAt(ms: number): number {
    let [low, high] = [0, this.at.length - 1];
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if ((this.at[mid] as number) <= ms) low = mid;
      else high = mid - 1;
    }
    return low;
  }
}

export interface RepositoryInit {
  index: number;
  id: number;
  slug: string;
  name: string;
  description: string;
  projectKey: string;
  hierarchyId: string;
  createdAt: number;
  defaultBranch: string;
  language: string;
  originId?: number;
}

export class DcRepository {
  readonly index: number;
  readonly id: number;
  slug: string;
  name: string;
  description: string;
  readonly projectKey: string;
  readonly hierarchyId: string;
  readonly createdAt: number;
  readonly defaultBranch: string;
  readonly language: string;
  /** A fork points at the repository it was forked from; its objects are shared with it. */
  readonly originId: number | undefined;
  mainLine = new MainLine([]);
  /** Indexed by id - 1; ids above `seeded.length` were opened live. */
  seeded: SeededPullRequest[] = [];
  /** Pull requests with explicit state: opened live, or seeded ones an action changed. */
  readonly live = new Map<number, PullRequest>();
  readonly deletedPullRequests = new Set<number>();
  nextPullRequestId = 1;
  /** Explicit branch tips; open seeded pull requests' source branches are derived, unless deleted. */
  readonly branches = new Map<string, string>();
  readonly deletedBranches = new Set<string>();
  readonly tags = new Map<string, DcTag>();
  /** Commits made live (seeded ones are decoded from their ids). */
  readonly commits = new Map<string, DcCommit>();
  /** Paths known to exist, so live commits modify real files. */
  files: string[] = [];
  /** Paused history walks, so `/commits` paging continues instead of restarting. */
  readonly logCursors = new LogCursors();

  constructor(init: RepositoryInit) {
    this.index = init.index;
    this.id = init.id;
    this.slug = init.slug;
    this.name = init.name;
    this.description = init.description;
    this.projectKey = init.projectKey;
    this.hierarchyId = init.hierarchyId;
    this.createdAt = init.createdAt;
    this.defaultBranch = init.defaultBranch;
    this.language = init.language;
    this.originId = init.originId;
  }

  seededPullRequest(id: number): SeededPullRequest | undefined {
    return this.seeded[id - 1];
  }

  /** State and updatedAt of every pull request that exists, without generating any of them. */
  *summaries(): Generator<{ id: number; state: PullRequest['state']; createdAt: number; updatedAt: number }> {
    for (const seeded of this.seeded) {
      if (!this.live.has(seeded.id) && !this.deletedPullRequests.has(seeded.id)) yield seeded;
    }
    yield* this.live.values();
  }
}

/** Build statuses are keyed by commit id alone in Data Center's build-status API. */
export type StatusStore = Map<string, Map<string, BuildStatus>>;
