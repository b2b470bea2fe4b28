import type { z } from 'zod';
import { firstIssue } from './answer';

// A page of a Bitbucket feed parsed whole fails on one item in an unexpected shape: the step retries
// and then leaves out the rest of the feed (the backfill), or the repository's pass fails every time
// (the reconciliation). Each item is checked on its own instead; one that will not do is left out
// alone, with why, and the page's others are read.

export interface Unreadable {
  raw: unknown;
  /** Bitbucket's answer in words: which item, and the first field that did not fit. */
  reason: string;
}

/** `what` names an item from its raw form, e.g. `the branch or tag "main"`. */
export function checkedItems<T extends z.ZodType>(values: unknown[], schema: T, what: (raw: unknown) => string): { items: Array<z.infer<T>>; malformed: Unreadable[] } {
  const items: Array<z.infer<T>> = [];
  const malformed: Unreadable[] = [];
  for (const raw of values) {
    const parsed = schema.safeParse(raw);
    if (parsed.success) items.push(parsed.data);
    else malformed.push({ raw, reason: `Bitbucket listed ${what(raw)} in an unexpected shape (${firstIssue(raw, parsed.error)})` });
  }
  return { items, malformed };
}

/** A raw item's field, when it is a string: enough to name an item that will not parse. */
export function textField(raw: unknown, field: string): string | undefined {
  const value = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** How each feed's items are named in a reason. */
export const named = {
  ref: (raw: unknown) => (textField(raw, 'name') !== undefined ? `the branch or tag "${textField(raw, 'name')}"` : 'a branch or tag'),
  commit: (raw: unknown) => (textField(raw, 'hash') !== undefined ? `commit ${textField(raw, 'hash')!.slice(0, 12)}` : 'a commit'),
  status: (commit: string) => (raw: unknown) => `${textField(raw, 'key') !== undefined ? `build status "${textField(raw, 'key')}"` : 'a build status'} of commit ${commit.slice(0, 12)}`,
  deployment: (raw: unknown) => (textField(raw, 'uuid') !== undefined ? `deployment ${textField(raw, 'uuid')}` : 'a deployment'),
  environment: (raw: unknown) => {
    const name = textField(raw, 'name') ?? textField(raw, 'uuid');
    return name !== undefined ? `the deployment environment "${name}"` : 'a deployment environment';
  },
  repository: (raw: unknown) => {
    const name = textField(raw, 'slug') ?? textField(raw, 'full_name') ?? textField(raw, 'name') ?? textField(raw, 'uuid');
    return name !== undefined ? `the repository "${name}"` : 'a repository';
  },
};
