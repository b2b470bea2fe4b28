// Commits and the push events that announce them.
import { forgeActor, repositoryScope } from '../events/build';
import type { PushEvent, PushedCommit } from '../events/types';
import type { Commit, CommitAuthor, FileChange, Repository, SimUser } from '../model/types';
import { EXTENSIONS, FILE_WORDS, NOUNS, SOURCE_DIRS, VERBS } from '../../sim-common/words';
import { isoZulu, SECOND, type Micros } from '../util/time';
import type { OpContext } from './context';

export interface NewCommit {
  author: SimUser | CommitAuthor;
  message?: string;
  files?: FileChange[];
  /** The author's date, when the commit was made before it was pushed (git keeps it): after its parent's. */
  authoredAt?: Micros;
}

/** Webhook and Forge push payloads list at most five commits and say when they cut the list. */
const PUSH_COMMIT_LIMIT = 5;

function authorOf(user: SimUser): CommitAuthor {
  return { name: user.displayName, email: user.email, userUuid: user.uuid };
}

function randomMessage(ctx: OpContext): string {
  return `${ctx.rng.pick(VERBS)} ${ctx.rng.pick(NOUNS)}`;
}

/** One to four edits: mostly existing files, sometimes a new one (which later commits may edit). */
function randomFileChanges(ctx: OpContext, repo: Repository): FileChange[] {
  const changes = new Map<string, FileChange>();
  for (let i = ctx.rng.int(1, 4); i > 0; i--) {
    const fresh = repo.files.length === 0 || ctx.rng.chance(0.25);
    const dirs = SOURCE_DIRS[repo.language] ?? ['src'];
    const path = fresh
      ? `${ctx.rng.pick(dirs)}/${ctx.rng.pick(FILE_WORDS)}_${ctx.rng.hex(4)}.${EXTENSIONS[repo.language] ?? 'txt'}`
      : ctx.rng.pick(repo.files);
    if (fresh) repo.files.push(path);
    changes.set(path, {
      path,
      status: fresh ? 'added' : 'modified',
      linesAdded: ctx.rng.int(1, fresh ? 120 : 40),
      linesRemoved: fresh ? 0 : ctx.rng.int(0, 30),
    });
  }
  return [...changes.values()];
}

/**
 * Creates a commit. Its date is a fresh stamp, so it is strictly later than its parents, which makes
 * date order a valid `git log` (reverse topological) order.
 */
export function addCommit(ctx: OpContext, repo: Repository, parents: string[], spec: NewCommit): Commit {
  let hash = ctx.rng.hex(40);
  while (repo.commits.has(hash)) hash = ctx.rng.hex(40);
  const author = 'kind' in spec.author ? authorOf(spec.author) : spec.author;
  const commit: Commit = {
    hash,
    parents,
    author,
    date: spec.authoredAt ?? ctx.model.stamp(ctx.at),
    message: `${spec.message ?? randomMessage(ctx)}\n`,
    files: spec.files ?? randomFileChanges(ctx, repo),
  };
  repo.commits.set(hash, commit);
  return commit;
}

function pushedCommit(ctx: OpContext, commit: Commit, pusher: SimUser): PushedCommit {
  const user = commit.author.userUuid ? ctx.model.userByUuid(commit.author.userUuid) : pusher;
  return {
    hash: commit.hash,
    message: { value: commit.message, truncated: false },
    // Git dates are whole seconds; Forge prints them with six zero digits.
    date: isoZulu(Math.floor(commit.date / SECOND) * SECOND),
    author: { user: forgeActor(user) },
  };
}

/** A branch update (`commits` newest first), a branch creation (`before` absent) or deletion (`after` absent). */
export function branchPushEvent(
  ctx: OpContext,
  repo: Repository,
  pusher: SimUser,
  change: { ref: string; before?: string; after?: string; commits: Commit[]; forced?: boolean },
): PushEvent {
  return {
    eventType: 'avi:bitbucket:push:repository',
    ...repositoryScope(ctx.model, repo, pusher, ctx.model.stamp(ctx.at)),
    push: {
      ref: change.ref,
      mainbranch: change.ref === repo.mainBranch,
      ...(change.before ? { before: change.before } : {}),
      ...(change.after ? { after: change.after } : {}),
      created: change.before === undefined,
      closed: change.after === undefined,
      forced: change.forced ?? false,
      truncated: change.commits.length > PUSH_COMMIT_LIMIT,
      commits: change.commits.slice(0, PUSH_COMMIT_LIMIT).map((commit) => pushedCommit(ctx, commit, pusher)),
    },
  };
}
