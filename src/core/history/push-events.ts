import type { ChangeOf } from '../change/change';
import { intentsFor } from '../change/intents';
import type { Commit, Ref, Repository } from '../enrich/cloud/schema';
import { cloudBody } from '../payload/cloud';
import { withPandev, type Prebuilt } from './prebuilt';

// A ref that moved while nobody was told becomes the push a trigger would have reported: from the tip
// the app last delivered (or the window's edge) to the ref's current tip. The pushes' ids follow the
// same rule as live ones (ref and before..after), so a late live event for the very same move matches.

export interface RefMove {
  workspace: string;
  repository: Repository;
  ref: Ref;
  /** The commit the ref pointed at before (null: the ref is new to the app). */
  before: Commit | null;
  /** The commits of the move, newest first. */
  commits: Commit[];
  commitsTruncated: boolean;
  origin: 'backfill' | 'reconcile';
  /** Only what moved since `before` is sent, with history behind it still owed (see PushChange). */
  historyBehind?: true;
  /** `before` was rewritten away (a forced push whose old commits Bitbucket collected). */
  forced?: true;
  /** Older history of the ref, not where it stands (see PushChange). */
  history?: true;
  stats?: Map<string, { files: number; lines_added: number; lines_removed: number }>;
}

export function refMovePush(move: RefMove): Prebuilt[] {
  const { ref, before, repository } = move;
  const after = ref.target?.hash ?? null;
  const tip = ref.target;
  const author = tip?.author?.user;
  const change: ChangeOf<'push'> = {
    edition: 'cloud',
    workspace: move.workspace,
    repository: { uuid: repository.uuid, slug: repository.name },
    ...(author ? { actor: { uuid: author.uuid, accountId: author.account_id } } : {}),
    origin: move.origin,
    at: tip?.date ?? new Date().toISOString(),
    kind: 'push',
    ref: { name: ref.name, type: ref.type === 'tag' ? 'tag' : 'branch' },
    before: before?.hash ?? null,
    after,
    created: !before,
    closed: !after,
    forced: move.forced === true,
    ...(move.historyBehind && before ? { historyBehind: true as const } : {}),
    ...(move.history ? { history: true as const } : {}),
  };
  const oldRef = before ? { ...ref, target: before } : null;
  return intentsFor(change).intents.map((intent) => {
    const body = cloudBody(
      { family: 'push', repository, change, oldRef, newRef: ref, commits: move.commits, commitsTruncated: move.commitsTruncated, ...(author ? { actor: author } : {}) },
      intent,
      change,
    );
    const stats = move.stats;
    // Rebuilt from the ref and the commit graph, not reported by Bitbucket as one push: say so.
    const extra = { reconstructed: true, ...(stats ? { commit_stats: Object.fromEntries(move.commits.flatMap((c) => (stats.has(c.hash) ? [[c.hash, stats.get(c.hash)]] : []))) } : {}) };
    return { change, intent, body: withPandev(body, extra) };
  });
}
