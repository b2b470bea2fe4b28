import type { BranchFacts } from './store';

// A branch name lives many lives (see first-commit.ts): each begins at its creation, its deletion or
// the close of a pull request from it. Forge does not order events, so a push may be recorded before
// the event that began its life: a branch made in Bitbucket and pushed to a minute later, with work
// committed before the branch was; a branch deleted and made again, its deletion reported last. The
// facts keep the latest pushes on their own, so a life that begins after some of them keeps exactly
// theirs, whatever order the events came in. One value per branch, as before: no read or write more.

export type Push = NonNullable<BranchFacts['pushes']>[number];

/** Enough for the pushes Forge reports ahead of the event that began their life; older ones live on in the totals. */
const RECENT_PUSHES = 8;

const time = (iso: string) => Date.parse(iso);
const earliest = (dates: Array<string | undefined>) => dates.filter((d): d is string => !!d).sort((a, b) => time(a) - time(b))[0];

/**
 * The facts with one more push of this life. A push already listed alike is one delivered again (its
 * facts are recorded before the ledger, core/pipeline/deliver-entries.ts): listed twice, it would push an
 * older one out of the recent pushes.
 */
export function withPush(life: BranchFacts | undefined, push: Push): BranchFacts {
  const listed = life?.pushes ?? [];
  const again = listed.some((p) => p.at === push.at && p.firstCommitOn === push.firstCommitOn && p.forced === push.forced);
  const pushes = (again ? listed : [...listed, push]).sort((a, b) => time(a.at) - time(b.at)).slice(-RECENT_PUSHES);
  const firstCommitOn = earliest([life?.firstCommitOn, push.firstCommitOn]);
  return {
    forced: (life?.forced ?? false) || push.forced === true,
    ...(firstCommitOn ? { firstCommitOn } : {}),
    ...(life?.since ? { since: life.since } : {}),
    pushedSince: earliest([life?.pushedSince, push.at])!,
    pushes,
    ...(life?.merged ? { merged: life.merged } : {}),
  };
}

/**
 * The life the branch name begins at `at`, with the pushes already recorded from `at` on. Facts kept
 * before pushes were listed can only tell by their commits' dates: those from `at`'s second on are
 * this life's (an earlier life's predate its end).
 */
export function lifeFrom(known: BranchFacts | undefined, at: string): BranchFacts {
  const fresh: BranchFacts = { forced: false, since: at };
  if (!known) return fresh;
  const { merged: _, ...rest } = known;
  if (!known.pushes) return known.firstCommitOn !== undefined && time(known.firstCommitOn) >= Math.floor(time(at) / 1000) * 1000 ? { ...rest, since: at } : fresh;
  if (known.pushedSince !== undefined && time(known.pushedSince) >= time(at)) return { ...rest, since: at };
  return known.pushes.filter((push) => time(push.at) >= time(at)).reduce<BranchFacts>(withPush, fresh);
}

/**
 * The life a pull request's close at `at` begins; merged into `into`, the work it took is kept for
 * pull requests from the branch into other destinations, along with what was kept for them before.
 */
export function lifeAfterClose(known: BranchFacts | undefined, at: string, into: string | undefined): BranchFacts {
  const life = lifeFrom(known, at);
  const before = known?.merged && known.merged.into !== into ? known.merged.firstCommitOn : undefined;
  const firstCommitOn = into === undefined ? undefined : earliest([workBefore(known, at), before]);
  const merged = firstCommitOn && into ? { into, firstCommitOn } : known?.merged;
  return merged ? { ...life, merged } : life;
}

/** The first commit pushed before `at`: the pushes listed tell, and the totals for those no longer listed. */
function workBefore(known: BranchFacts | undefined, at: string): string | undefined {
  if (!known?.pushes) return known?.firstCommitOn !== undefined && time(known.firstCommitOn) < time(at) ? known.firstCommitOn : undefined;
  const oldestListed = known.pushes[0];
  const unlisted = known.pushedSince !== undefined && oldestListed !== undefined && time(known.pushedSince) < time(oldestListed.at);
  return earliest([...known.pushes.filter((push) => time(push.at) < time(at)).map((push) => push.firstCommitOn), unlisted ? known.firstCommitOn : undefined]);
}
