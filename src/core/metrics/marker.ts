// How the app knows its own pull request comment: a token in its raw text. Triggers drop the events
// the app causes (`selfGenerated`), but the activity log and comment lists show the comment like any
// other, so the backfill, the reconciliation and the metrics skip it by this token: it is neither a
// developer's comment for PanDev nor a review. Only where the app puts it, alone on the first line:
// Bitbucket's quote copies the raw text with "> " before each line, and a reply that quotes the app's
// comment is a person's.

/** Found in the raw text of the app's own comment: search it with `q=content.raw ~ "pandev-metrics-dora"`. */
export const COMMENT_TOKEN = 'pandev-metrics-dora';
/** A markdown link reference definition: kept in the raw text, rendered as nothing. */
export const COMMENT_MARKER = `[//]: # (${COMMENT_TOKEN})`;

/** The raw text opens with the marker line, as the app renders it (never quoted). */
export function opensWithMarker(raw: unknown): boolean {
  return typeof raw === 'string' && raw.split('\n', 1)[0]?.trim() === COMMENT_MARKER;
}

/** A comment as any Bitbucket answer shapes it (an activity entry's, a webhook's, a list's). */
export function isOwnComment(comment: object | null | undefined): boolean {
  const content = comment && 'content' in comment ? (comment.content as { raw?: unknown } | null) : undefined;
  return opensWithMarker(content?.raw);
}
