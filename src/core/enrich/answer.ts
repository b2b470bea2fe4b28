import type { z } from 'zod';
import { BitbucketError } from '../errors';

// A 2xx answer's body read as JSON and checked against its schema. Shared by the Cloud and Data Center
// clients, so a malformed answer from either edition is named the same way (a 'malformed' failure,
// skipped and retried later, that says where and what).

export function parseAnswer<T extends z.ZodType>(status: number, text: string, where: string, schema: T): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BitbucketError('malformed', status, where, `Bitbucket answered ${where} with malformed JSON (${text.length} bytes)`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new BitbucketError('malformed', status, where, `Bitbucket answered ${where} with an unexpected shape (${firstIssue(json, parsed.error)})`);
  return parsed.data;
}

/**
 * The first field of `raw` that did not fit, in words an admin can pass on to Atlassian: which field,
 * and what Bitbucket sent there (missing, null, a string…) against what the app needs, where zod's own
 * words ("Invalid input: expected number, received undefined") read as the app's fault.
 */
export function firstIssue(raw: unknown, error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unknown field';
  const field = issue.path.join('.') || 'the answer itself';
  const sent = valueAt(raw, issue.path);
  const what = sent === undefined ? 'missing' : sent === null ? 'null' : Array.isArray(sent) ? 'a list' : (KINDS[typeof sent] ?? `a ${typeof sent}`);
  if (issue.code === 'invalid_type') return `${field}: ${what}, where the app needs ${KINDS[issue.expected] ?? `a ${issue.expected}`}`;
  // A literal such as a pull request's `type: "pullrequest"`.
  if (issue.code === 'invalid_value') return `${field}: ${typeof sent === 'string' ? JSON.stringify(sent.slice(0, 40)) : what}, where the app needs ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}`;
  return `${field}: ${issue.message}`;
}

/** zod's and JavaScript's names of a kind of value, as a reason says them. */
const KINDS: Record<string, string> = { array: 'a list', object: 'an object', int: 'a whole number' };

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let at = raw;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}
