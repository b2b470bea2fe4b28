import { z } from 'zod';
import type { CloudClient } from '../enrich/cloud/client';
import { kvKey } from '../keys';
import type { KeyValueStore, Logger } from '../ports';
import { CLOCK_ALLOWANCE_MS } from '../reconcile/clock-allowance';
import { COMMENT_TOKEN, opensWithMarker } from './marker';

// Which comment on a pull request is the app's own when the app has lost its record of it (a post whose
// answer was lost, a state that expired). The marker alone does not tell: Bitbucket's quote copies a
// comment's raw markdown, marker included, and a person may paste the comment whole. Taking their
// comment for ours would PUT someone else's comment (Bitbucket answers 403) and leave ours stale. Who
// wrote it tells: the account the app writes as, learnt from Bitbucket's answers to the app's own
// writes (learnt before the comment's id is stored, so an id is never kept while the author is not).
// Until the app has had such an answer, the only comment of ours there can be is one whose post's
// answer was lost, and that post began when the mark says: a comment made before then is a person's
// paste. With neither, the app has not written here since it began keeping its author: an installation
// older than that, whose comment's state has expired too, gets a second comment, where taking a paste
// for its own failed the comment for good on a 403 that no admin could act on.

/** Bitbucket's answer to a post or an edit of the app's comment. */
export const Written = z.looseObject({ id: z.number().int(), user: z.looseObject({ uuid: z.string() }).nullish() });
export type Written = z.infer<typeof Written>;

const Candidate = z.looseObject({
  id: z.number().int(),
  created_on: z.string().optional(),
  deleted: z.boolean().optional(),
  content: z.looseObject({ raw: z.string().nullish() }).optional(),
  user: z.looseObject({ uuid: z.string() }).nullish(),
});
type Candidate = z.infer<typeof Candidate>;

const AuthorRecord = z.object({ uuid: z.string() });
// The app's identity in the installation, not a fact about a pull request: kept without an expiry.
const AUTHOR_KEY = kvKey('metrics', 'comment-author');
/** Bitbucket's largest page of comments. */
const PAGE = 100;
/**
 * Listed oldest first (Bitbucket's order for comments) and only those carrying the marker, so what
 * comes before ours is people's copies made before it: pastes, mostly before the merge (quotes of ours
 * come after it). A thousand of them is far beyond any pull request, and the search runs only when the
 * comment's id is lost, once per such pull request: ten requests at most. Past the cap the app posts
 * anew, and says so.
 */
const MAX_PAGES = 10;

/** The account the app's comments are written as; read once per use, written only when it changes. */
export function commentAuthor(store: KeyValueStore) {
  let known: Promise<string | undefined> | undefined;
  const read = () => (known ??= store.get(AUTHOR_KEY).then((value) => AuthorRecord.safeParse(value).data?.uuid));
  return {
    known: read,
    async learn(answer: Written): Promise<void> {
      const uuid = answer.user?.uuid;
      if (!uuid || uuid === (await read())) return;
      await store.set(AUTHOR_KEY, { uuid });
      known = Promise.resolve(uuid);
    },
  };
}
export type CommentAuthor = ReturnType<typeof commentAuthor>;

export interface Tells {
  /** The account the app writes as, when known. */
  author: string | undefined;
  /** When the app's last post began (the comment state's mark), when one did. */
  postingSince: number | undefined;
}

/** Our comment, when it may be there without our knowing: by its marker, and its author or else its time. */
export async function findOurs(params: { workspace: string; repo_slug: string; pull_request_id: number }, client: CloudClient, log: Logger, tells: Tells): Promise<{ id: number; raw: string } | undefined> {
  const isOurs = ownedBy(tells);
  if (!isOurs) return undefined;
  const query = { q: `content.raw ~ ${JSON.stringify(COMMENT_TOKEN)}`, pagelen: PAGE, fields: 'next,values.id,values.created_on,values.deleted,values.content.raw,values.user.uuid' };
  let read = 0;
  let capped = false;
  for await (const page of client.pages({ endpoint: 'pullRequestComments', params, query }, Candidate, MAX_PAGES, () => (capped = true))) {
    const ours = page.find((c) => !c.deleted && opensWithMarker(c.content?.raw) && isOurs(c));
    if (ours) return { id: ours.id, raw: ours.content?.raw ?? '' };
    read += page.length;
  }
  if (capped) {
    log.warn({ pullRequest: params.pull_request_id, read, pages: MAX_PAGES }, `stopped looking for the app's own comment after ${read} comments carrying its marker: if it is further on, the pull request now has two of them, and the older one can be deleted`);
  }
  return undefined;
}

/** What tells our comment from a person's copy of it; none when no comment can be ours. */
function ownedBy({ author, postingSince }: Tells): ((c: Candidate) => boolean) | undefined {
  if (author !== undefined) return (c) => c.user?.uuid === author;
  if (postingSince === undefined) return undefined;
  // Bitbucket dates the comment by its clock, the mark is the app's: the allowance covers the difference.
  const from = postingSince - CLOCK_ALLOWANCE_MS;
  return (c) => c.created_on !== undefined && Date.parse(c.created_on) >= from;
}
