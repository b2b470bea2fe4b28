import { z } from 'zod';

// The Repositories and Advanced parts of the settings page. Lists come a page at a time: a workspace
// can hold thousands of repositories, and one answer with all of them would be slow and large.

export const RepositoryUuid = z.string().regex(/^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i, 'a repository UUID in braces, as Bitbucket writes it');

export const ProjectKey = z.string().trim().min(1, 'a project key').max(100, 'at most 100 characters');

/**
 * Where a reading of the repository list stands when it needs more than one call: the walk it belongs
 * to and the next of Bitbucket's pages to read. A large workspace's list takes Bitbucket longer than the
 * 25 s a resolver call has, so the page asks again with this until the list is whole.
 */
export const ListingCursor = z.strictObject({
  walk: z.string().uuid('the cursor of an earlier answer'),
  page: z.number().int().min(1).max(1000),
});

export const RepositoriesListInput = z.strictObject({
  /** Matches the repository's name, slug or project name, ignoring case. */
  search: z.string().trim().max(100, 'at most 100 characters').optional(),
  project: ProjectKey.optional(),
  offset: z.number().int().min(0, 'not negative').max(1_000_000).optional(),
  limit: z.number().int().min(1, 'at least 1').max(100, 'at most 100 per page').optional(),
  /** Read the list from Bitbucket again instead of the few-minute cache. */
  refresh: z.boolean().optional(),
  /** Go on reading the list where the previous answer's `loading.cursor` says. */
  continue: ListingCursor.optional(),
});

export const SelectionInput = z.discriminatedUnion('scope', [
  z.strictObject({ scope: z.literal('repositories'), repositories: z.array(RepositoryUuid).min(1, 'name at least one repository').max(100, 'at most 100 at once'), selected: z.boolean() }),
  z.strictObject({ scope: z.literal('project'), project: ProjectKey, selected: z.boolean() }),
  z.strictObject({ scope: z.literal('all'), selected: z.boolean() }),
]);

export const PreferencesSaveInput = z.strictObject({
  prComments: z.boolean().optional(),
  backfillDays: z.number().int('whole days').min(1, 'between 1 and 365 days').max(365, 'between 1 and 365 days').optional(),
  reconcileMinutes: z
    .number()
    .int('whole minutes')
    .min(5, 'between 5 and 1,440 minutes')
    .max(1440, 'between 5 and 1,440 minutes')
    .multipleOf(5, 'a multiple of 5 minutes: the reconciliation runs on a five-minute tick')
    .optional(),
  /** File stats in the backfill: none, one request per pull request, or one per commit. */
  commitStats: z.enum(['off', 'pullrequest', 'commit'], 'off, pullrequest or commit').optional(),
  /** Build statuses in the backfill: one request per pull request, for its head commit's statuses. */
  backfillBuildStatuses: z.boolean().optional(),
});

/** `prComments: null` removes the repository's exception, so it follows the workspace setting again. */
export const PrCommentOverrideInput = z.strictObject({ repository: RepositoryUuid, prComments: z.boolean().nullable() });

/** `gone`: the repository was deleted in Bitbucket, so its backfill was skipped. */
export type BackfillState = 'queued' | 'running' | 'done' | 'cancelled' | 'failed' | 'gone';

export interface BackfillView {
  state: BackfillState;
  /** Pull requests of the window replayed so far, and how many the window holds once they are listed. */
  done: number;
  total?: number;
  etaSeconds?: number;
  error?: string;
  /** What it left out after failing at it again and again: how many, and the most recent few with why. */
  skipped?: { count: number; recent: string[] };
}

export interface RepositoryRow {
  uuid: string;
  slug: string;
  name: string;
  project: { key: string; name: string };
  selected: boolean;
  /** Whether merged pull requests get the DORA comment, and whether that differs from the workspace setting. */
  prComments: { value: boolean; overridden: boolean };
  /**
   * The newest change delivered (`at`: when it happened in Bitbucket; `origin`: which source found it)
   * and the last delivery of any. The app notes them at most once a minute per function instance: what
   * is delivered after a note shows with the repository's next delivery a minute or more later, so a
   * burst's last deliveries can wait for that (core/pipeline/activity.ts).
   */
  lastEvent?: { key: string; at: string; origin?: 'trigger' | 'reconcile' | 'backfill' | 'poll' | 'webhook'; deliveredAt: number };
  backfill?: BackfillView;
}

export interface ProjectSummary {
  key: string;
  name: string;
  repositories: number;
  selected: number;
}

export interface SelectionSummary {
  mode: 'all' | 'selected';
  selected: number;
  repositories: number;
}

export interface RepositoryPage {
  items: RepositoryRow[];
  /** Repositories matching the search and project filter. */
  total: number;
  offset: number;
  nextOffset?: number;
  /** Every project of the workspace, with how many of its repositories are selected. */
  projects: ProjectSummary[];
  selection: SelectionSummary;
  /** When the list shown was read from Bitbucket; absent while the first reading is under way. */
  fetchedAt?: number;
  /** Repositories Bitbucket listed in an unexpected shape, left out of the list: each one's why and what to do. */
  unlisted?: string[];
  /** The list stopped at its cap (20,000) with repositories left: what that means and what to do. */
  cut?: string;
  /**
   * The list is still being read from Bitbucket: what is shown is the last whole copy (or nothing), and
   * asking again with `continue: cursor` reads on. `total` is Bitbucket's count, when it gives one.
   */
  loading?: { cursor: z.infer<typeof ListingCursor>; loaded: number; total?: number };
}

export interface SelectionOutput {
  selection: SelectionSummary;
  /** Repositories whose selection changed. */
  changed: number;
  backfill: { requested: number; cancelled: number };
}

export interface PreferencesView {
  prComments: boolean;
  backfillDays: number;
  reconcileMinutes: number;
  commitStats: 'off' | 'pullrequest' | 'commit';
  backfillBuildStatuses: boolean;
  /** Repositories with their own PR comment setting. */
  overrides: number;
}
