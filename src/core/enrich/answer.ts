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
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown field';
    throw new BitbucketError('malformed', status, where, `Bitbucket answered ${where} with an unexpected shape (${field})`);
  }
  return parsed.data;
}
