import { z } from 'zod';
import { firstIssue } from '../answer';
import { passedOn } from '../passed-on';

// Bitbucket Cloud API objects. Objects we pass on to PanDev are loose: the fields we rely on are
// checked, every other field is kept as Bitbucket sent it (Cloud API objects and webhook objects
// share one representation). Names follow the object, the inferred type has the same name.
//
// Two kinds of checked field. Those that make the change (ids, hashes, states, a ref's name, the times
// PanDev orders by) are strict: a changed payload fails loudly, naming the field. Those the app only
// passes on, or reads for an optional extra (names, texts, a commit's date for the metrics, paging
// hints), go through `passedOn`: one Bitbucket answers null or oddly typed no longer costs the change.

export { passedOn };

export const Link = z.looseObject({ href: z.string() });

export const Account = z.looseObject({
  // PanDev reads an approval's or a change request's user by its type: strict.
  type: z.string(),
  uuid: z.string().optional(),
  account_id: z.string().optional(),
  display_name: passedOn(z.string()),
});
export type Account = z.infer<typeof Account>;

export const Repository = z.looseObject({
  type: z.literal('repository'),
  uuid: z.string(),
  full_name: z.string(),
  name: z.string(),
});
export type Repository = z.infer<typeof Repository>;

export const Participant = z.looseObject({
  user: Account,
  role: passedOn(z.string()),
  approved: passedOn(z.boolean()),
  state: passedOn(z.string()),
  participated_on: passedOn(z.string()),
});
export type Participant = z.infer<typeof Participant>;

const Endpoint = z.looseObject({
  branch: z.looseObject({ name: z.string() }).optional(),
  commit: z.looseObject({ hash: z.string() }).nullish(),
});

export const PullRequest = z.looseObject({
  type: z.literal('pullrequest'),
  id: z.number().int(),
  state: z.string(),
  created_on: z.string(),
  updated_on: z.string(),
  author: Account.optional(),
  closed_by: Account.nullish(),
  participants: z.array(Participant).optional(),
  reviewers: z.array(Account).optional(),
  source: Endpoint,
  destination: Endpoint,
});
export type PullRequest = z.infer<typeof PullRequest>;

export const PullRequestComment = z.looseObject({
  id: z.number().int(),
  created_on: z.string(),
  updated_on: passedOn(z.string()),
  user: Account.optional(),
  deleted: z.boolean().optional(),
});
export type PullRequestComment = z.infer<typeof PullRequestComment>;

type CommitAuthor = { raw?: string | null | undefined; user?: Account | null | undefined; [key: string]: unknown };

/** Authors whose account was left out, with why (leftOutAuthorAccounts): the parsed objects carry no note. */
const accountsLeftOut = new WeakMap<CommitAuthor, string>();

/**
 * `raw` is what git recorded (name and email), `user` the account Bitbucket matched it to. An account
 * without a usable type (strict, see Account) is left out alone, `raw` kept, and the reason noted.
 */
const CommitAuthor = z.looseObject({ raw: passedOn(z.string()), user: z.unknown() }).transform((author): CommitAuthor => {
  const { user, ...rest } = author;
  const account = Account.nullish().safeParse(user);
  if (account.success) return user === undefined ? rest : { ...rest, user: account.data };
  accountsLeftOut.set(rest, firstIssue(user, account.error));
  return rest;
});

export const Commit = z.looseObject({
  type: passedOn(z.string()),
  hash: z.string(),
  date: passedOn(z.string()),
  message: passedOn(z.string()),
  author: passedOn(CommitAuthor),
  parents: z.array(z.looseObject({ hash: z.string() })).optional(),
});
export type Commit = z.infer<typeof Commit>;

/** Each commit delivered without its author's account, and why, in words for the log (no name or email). */
export function leftOutAuthorAccounts(commits: Iterable<Commit | null | undefined>): string[] {
  const notes: string[] = [];
  for (const commit of commits) {
    const why = commit?.author ? accountsLeftOut.get(commit.author) : undefined;
    if (why) notes.push(`commit ${commit!.hash.slice(0, 12)}: its author's account left out, the raw name kept (${why})`);
  }
  return notes;
}

export const CommitStatus = z.looseObject({
  key: z.string(),
  state: z.string(),
  created_on: passedOn(z.string()),
  updated_on: passedOn(z.string()),
});
export type CommitStatus = z.infer<typeof CommitStatus>;

export const Deployment = z.looseObject({
  uuid: z.string(),
  state: z.looseObject({ name: z.string() }).optional(),
  // A reference (its UUID) unless `fields=` expands it; see DEPLOYMENT_FIELDS.
  environment: z.looseObject({ uuid: z.string(), name: passedOn(z.string()), environment_type: passedOn(z.looseObject({ name: z.string() })) }).optional(),
  release: passedOn(z.looseObject({})),
});
export type Deployment = z.infer<typeof Deployment>;

export const Environment = z.looseObject({ uuid: z.string(), name: passedOn(z.string()) });
export type Environment = z.infer<typeof Environment>;

export const Pipeline = z.looseObject({ uuid: z.string() });
export type Pipeline = z.infer<typeof Pipeline>;

export function Page<T extends z.ZodType>(item: T) {
  // `pagelen`, `size` and `page` are hints the app never reads: kept as sent, whatever their type.
  return z.looseObject({ values: z.array(item), next: z.string().optional() });
}

export const Ref = z.looseObject({ type: z.string(), name: z.string(), target: Commit.optional() });
export type Ref = z.infer<typeof Ref>;

export const RefPage = Page(Ref);
export const CommitStatusPage = Page(CommitStatus);

/** An entry of a pull request activity log: one of update, approval, changes_request or comment. */
export const ActivityEntry = z.looseObject({
  pull_request: z.looseObject({ id: z.number().int() }),
  update: z.looseObject({ date: z.string(), state: z.string(), author: Account.optional() }).optional(),
  approval: z.looseObject({ date: z.string(), user: Account }).optional(),
  changes_request: z.looseObject({ date: z.string(), user: Account }).optional(),
  comment: PullRequestComment.optional(),
});
export type ActivityEntry = z.infer<typeof ActivityEntry>;

export const ActivityPage = Page(ActivityEntry);
export const PullRequestPage = Page(PullRequest);
export const CommitPage = Page(Commit);
export const DeploymentPage = Page(Deployment);
export const RepositoryPage = Page(Repository);
export const DiffstatPage = Page(z.looseObject({ lines_added: z.number().optional(), lines_removed: z.number().optional(), status: z.string().optional() }));
