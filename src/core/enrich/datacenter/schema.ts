import { z } from 'zod';
import { passedOn } from '../passed-on';

// Bitbucket Data Center API objects. Like the Cloud schemas: the fields we rely on are checked, every
// other field is kept as the instance sent it, because these objects become webhook bodies and a DC
// webhook shows the same objects the REST API does. Dates are epoch milliseconds on 9.x and ISO 8601
// strings on 10.x (notes §5.5); both are accepted and kept as sent (PanDev's parsers of that version
// expect that version's form), and `epochMs` reads either.
//
// As in the Cloud schemas, two kinds of checked field: those the bridge computes ids, versions and
// order from (ids, keys, slugs, hashes, states, a ref's id, the times a change is dated by) are strict;
// those it only passes on or reads for an optional extra (display names, emails, a participant's role
// and status, a commit's message, people and author time, a project's and repository's names, a build
// status's other times, paging hints) go through `passedOn`.

/** A date as either version sends it. */
export const DcDate = z.union([z.number(), z.string().refine((value) => !Number.isNaN(parseDcDate(value)), 'not a date')]);
export type DcDate = z.infer<typeof DcDate>;

/** `+0000` offsets (DC's webhook `date`) are ISO 8601 but not every parser takes them; add the colon. */
function parseDcDate(value: string): number {
  return Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

export function epochMs(value: DcDate): number {
  return typeof value === 'number' ? value : parseDcDate(value);
}

export const User = z.looseObject({
  name: z.string(),
  id: z.number().int().optional(),
  slug: passedOn(z.string()),
  displayName: passedOn(z.string()),
  emailAddress: passedOn(z.string()),
});
export type User = z.infer<typeof User>;

export const Project = z.looseObject({ key: z.string(), id: z.number().int().optional(), name: passedOn(z.string()) });

// Named by project key and slug, identified by id: a null name used to fail the whole repository
// listing (no repository was polled) or every pull request that showed the repository.
export const Repository = z.looseObject({ id: z.number().int(), slug: z.string(), name: passedOn(z.string()), project: Project });
export type Repository = z.infer<typeof Repository>;

export const PullRequestRef = z.looseObject({ id: z.string(), displayId: z.string(), latestCommit: z.string().optional(), repository: Repository.optional() });

export const Participant = z.looseObject({ user: User, role: passedOn(z.string()), approved: passedOn(z.boolean()), status: passedOn(z.string()) });
export type Participant = z.infer<typeof Participant>;

export const PullRequest = z.looseObject({
  id: z.number().int(),
  version: z.number().int().optional(),
  title: z.string(),
  state: z.string(),
  createdDate: DcDate,
  updatedDate: DcDate,
  closedDate: DcDate.optional(),
  fromRef: PullRequestRef,
  toRef: PullRequestRef,
  author: Participant.optional(),
  reviewers: z.array(Participant).optional(),
});
export type PullRequest = z.infer<typeof PullRequest>;

export const Comment = z.looseObject({
  id: z.number().int(),
  version: z.number().int().optional(),
  text: passedOn(z.string()),
  // The actor of an edit found in the comment alone; the activity's user stands in without it.
  author: passedOn(User),
  createdDate: DcDate.optional(),
  updatedDate: DcDate.optional(),
});
export type Comment = z.infer<typeof Comment>;

export const Activity = z.looseObject({
  id: z.number().int(),
  createdDate: DcDate,
  user: User,
  action: z.string(),
  commentAction: z.string().optional(),
  comment: Comment.optional(),
  fromHash: z.string().optional(),
  previousFromHash: z.string().optional(),
});
export type Activity = z.infer<typeof Activity>;

const Person = z.looseObject({ name: passedOn(z.string()), emailAddress: passedOn(z.string()) });

export const Commit = z.looseObject({
  id: z.string(),
  displayId: z.string(),
  message: passedOn(z.string()),
  author: passedOn(Person),
  authorTimestamp: passedOn(DcDate),
  committer: passedOn(Person),
  // Strict: a poll dates the push by its tip's, and a backfill stops at the window's edge by it.
  committerTimestamp: DcDate.optional(),
  parents: z.array(z.looseObject({ id: z.string(), displayId: z.string().optional() })).optional(),
});
export type Commit = z.infer<typeof Commit>;

/** A branch or tag; an annotated tag also has `hash`, its tag object (null for a lightweight tag). */
export const Branch = z.looseObject({ id: z.string(), displayId: z.string(), latestCommit: z.string(), isDefault: passedOn(z.boolean()), hash: z.string().nullish() });
export type Branch = z.infer<typeof Branch>;

export const FileChange = z.looseObject({ path: z.looseObject({ toString: z.string() }), type: passedOn(z.string()) });
export type FileChange = z.infer<typeof FileChange>;

/**
 * A build status is dated, and its runs told apart, by the first of these times it has: the one it
 * was last set at where the instance sends it, else when it was added. Null counts as not sent.
 */
const STATUS_TIMES = ['updatedDate', 'dateAdded', 'createdDate'] as const;

/**
 * The dating time must be a date: without it a run again in the same state would get the same id as
 * the first, and PanDev would not hear of it. The other times are only passed on.
 */
function datingTimeReadable(raw: unknown, ctx: z.RefinementCtx): void {
  if (typeof raw !== 'object' || raw === null) return;
  const times = raw as Record<string, unknown>;
  const field = STATUS_TIMES.find((name) => times[name] != null);
  if (field && !DcDate.safeParse(times[field]).success) ctx.addIssue({ code: 'custom', path: [field], message: 'not a date, and the status is dated and told apart by it' });
}

export const BuildStatus = z.unknown().superRefine(datingTimeReadable).pipe(
  z.looseObject({
    key: z.string(),
    state: z.string(),
    updatedDate: passedOn(DcDate),
    dateAdded: passedOn(DcDate),
    createdDate: passedOn(DcDate),
  }),
);
export type BuildStatus = z.infer<typeof BuildStatus>;

/** The time a build status is dated by (STATUS_TIMES); undefined when it has none. */
export function buildStatusTime(status: BuildStatus): DcDate | undefined {
  return status.updatedDate ?? status.dateAdded ?? status.createdDate ?? undefined;
}

export const ApplicationProperties = z.looseObject({ version: z.string(), displayName: z.string().optional() });

/** One page of a paged resource (notes §5.2): follow `nextPageStart` while `isLastPage` is false. */
export function Page<T extends z.ZodType>(item: T) {
  return z.looseObject({
    values: z.array(item),
    isLastPage: z.boolean(),
    nextPageStart: z.number().int().nullish(),
    // Hints the client does not read (it asks for its own limit and follows nextPageStart).
    limit: passedOn(z.number()),
    size: passedOn(z.number()),
  });
}
