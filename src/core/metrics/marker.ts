// How the app knows its own pull request comment: a token in its raw text. Triggers drop the events
// the app causes (`selfGenerated`), but the activity log and comment lists show the comment like any
// other, so the backfill, the reconciliation and the metrics skip it by this token: it is neither a
// developer's comment for PanDev nor a review.

/** Found in the raw text of the app's own comment: search it with `q=content.raw ~ "pandev-metrics-dora"`. */
export const COMMENT_TOKEN = 'pandev-metrics-dora';
/** A markdown link reference definition: kept in the raw text, rendered as nothing. */
export const COMMENT_MARKER = `[//]: # (${COMMENT_TOKEN})`;

/** A comment as any Bitbucket answer shapes it (an activity entry's, a webhook's, a list's). */
export function isOwnComment(comment: object | null | undefined): boolean {
  const content = comment && 'content' in comment ? (comment.content as { raw?: unknown } | null) : undefined;
  return typeof content?.raw === 'string' && content.raw.includes(COMMENT_TOKEN);
}
