import { z } from 'zod';
import type { CloudClient } from '../enrich/cloud/client';
import { kvKey } from '../keys';
import type { KeyValueStore, Logger } from '../ports';
import { COMMENT_TOKEN, opensWithMarker } from './marker';

// Which comment on a pull request is the app's own when the app has lost its record of it (a post whose
// answer was lost, a state that expired). The marker alone does not tell: Bitbucket's quote copies a
// comment's raw markdown, marker included, and a person may paste the comment whole. Taking their
// comment for ours would PUT someone else's comment (Bitbucket answers 403) and leave ours stale. Who
// wrote it tells: the account the app writes as, learnt from Bitbucket's answers to the app's own
// writes. Until the app has written once, only the marker's place (unquoted, the whole first line, as
// the app renders it) tells, which a quote fails and only a whole paste passes.

/** Bitbucket's answer to a post or an edit of the app's comment. */
export const Written = z.looseObject({ id: z.number().int(), user: z.looseObject({ uuid: z.string() }).nullish() });
export type Written = z.infer<typeof Written>;

const Candidate = z.looseObject({
  id: z.number().int(),
  deleted: z.boolean().optional(),
  content: z.looseObject({ raw: z.string().nullish() }).optional(),
  user: z.looseObject({ uuid: z.string() }).nullish(),
});

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

/** Our comment, when it may be there without our knowing: by its author when known, and its marker. */
export async function findOurs(params: { workspace: string; repo_slug: string; pull_request_id: number }, client: CloudClient, log: Logger, author: string | undefined): Promise<{ id: number; raw: string } | undefined> {
  const query = { q: `content.raw ~ ${JSON.stringify(COMMENT_TOKEN)}`, pagelen: PAGE, fields: 'next,values.id,values.deleted,values.content.raw,values.user.uuid' };
  let read = 0;
  let capped = false;
  for await (const page of client.pages({ endpoint: 'pullRequestComments', params, query }, Candidate, MAX_PAGES, () => (capped = true))) {
    const ours = page.find((c) => !c.deleted && opensWithMarker(c.content?.raw) && (author === undefined || c.user?.uuid === author));
    if (ours) return { id: ours.id, raw: ours.content?.raw ?? '' };
    read += page.length;
  }
  if (capped) {
    log.warn({ pullRequest: params.pull_request_id, read, pages: MAX_PAGES }, `stopped looking for the app's own comment after ${read} comments carrying its marker: if it is further on, the pull request now has two of them, and the older one can be deleted`);
  }
  return undefined;
}
