import type { z } from 'zod';
import { BitbucketError, errorMessage, type BitbucketFailureKind } from '../../errors';
import type { HttpResponse } from '../../ports';
import { parseAnswer } from '../answer';
import { parseRetryAfter } from '../cloud/client';
import { dcTarget, type DcRequest } from './endpoints';
import { Page } from './schema';

/**
 * How the core reaches a Data Center instance: one request in, one response out; no retries here.
 * Without `post` it is a GET; with it, a POST of that JSON body (only for queries Data Center takes as a
 * POST, such as the build-status counts of many commits: nothing the bridge sends changes Bitbucket).
 */
export type DcTransport = (target: string, post?: { body: string }) => Promise<HttpResponse>;

export interface DcPageOptions {
  /** Items per page asked for; the instance may cap it (notes §5.2: check the returned `limit`). */
  limit?: number;
  /** A smaller first page, when the first page usually answers the question (an idle poll). */
  firstLimit?: number;
  /** A hard stop, so a misbehaving instance cannot page forever. */
  maxPages?: number;
  /** The offset to begin at (a `nextPageStart` met earlier), to read on from where a capped read stopped. */
  start?: number;
  /**
   * Told when `maxPages` stopped the read with pages still to come (or a page said more was to come
   * and moved nothing on), how many items were read, and the
   * `start` of the page that was not asked for: the caller saw a shortened list as if it were whole,
   * and should say so (or read on from there later).
   */
  onCapped?: (read: number, next: number) => void;
}

export interface DcClient {
  get<T extends z.ZodType>(request: DcRequest, schema: T): Promise<z.infer<T>>;
  /** A read that Data Center takes as a POST with a JSON body (e.g. `buildStats`). */
  query<T extends z.ZodType>(request: DcRequest, body: unknown, schema: T): Promise<z.infer<T>>;
  /** Follows `nextPageStart`, a page at a time: callers stream, nothing is gathered here. */
  pages<T extends z.ZodType>(request: DcRequest, item: T, options?: DcPageOptions): AsyncGenerator<Array<z.infer<T>>>;
  readonly requests: number;
}

export function dcClient(transport: DcTransport): DcClient {
  let requests = 0;
  async function get<T extends z.ZodType>(request: DcRequest, schema: T, post?: { body: string }): Promise<z.infer<T>> {
    const target = dcTarget(request);
    const where = `${post ? 'POST' : 'GET'} ${target.split('?')[0]}`;
    let response: HttpResponse;
    requests++;
    try {
      response = await transport(target, post);
    } catch (error) {
      // The host shutting down (the bridge's StoppingError) is no Bitbucket failure to skip or retry.
      if (error instanceof BitbucketError || (error instanceof Error && error.name === 'StoppingError')) throw error;
      throw new BitbucketError('network', undefined, where, `Bitbucket did not answer ${where}: ${errorMessage(error)}`);
    }
    const text = await response.text();
    if (response.status < 200 || response.status >= 300) throw statusError(response, where, text);
    return parseAnswer(response.status, text, where, schema);
  }

  async function* pages<T extends z.ZodType>(request: DcRequest, item: T, options: DcPageOptions = {}): AsyncGenerator<Array<z.infer<T>>> {
    const maxPages = options.maxPages ?? 100;
    let start = options.start ?? 0;
    let read = 0;
    for (let page = 0; page < maxPages; page++) {
      const limit = page === 0 ? (options.firstLimit ?? options.limit) : options.limit;
      const query = { ...request.query, start, ...(limit ? { limit } : {}) };
      const body: { values: Array<z.infer<T>>; isLastPage: boolean; nextPageStart?: number | null } = await get({ ...request, query }, Page(item));
      read += body.values.length;
      yield body.values;
      // Some paged resources omit nextPageStart on their last page (BSERV-12725); trust isLastPage.
      if (body.isLastPage) return;
      // Not the last page and no (usable) next start: on from the values read, as the offsets count.
      // A page that moves nothing on would come back forever: it ends the reading, said as capped.
      const next: number = body.nextPageStart ?? start + body.values.length;
      if (next <= start) break;
      start = next;
    }
    options.onCapped?.(read, start);
  }

  return {
    get: (request, schema) => get(request, schema),
    query: (request, body, schema) => get(request, schema, { body: JSON.stringify(body) }),
    pages,
    get requests() {
      return requests;
    },
  };
}

function statusError(response: HttpResponse, where: string, text: string): BitbucketError {
  const status = response.status;
  const kinds: Record<number, BitbucketFailureKind> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 429: 'rate-limited' };
  const kind: BitbucketFailureKind = status === 401 && permissionRefused(response, text) ? 'forbidden' : kinds[status] ?? (status >= 500 || status === 408 ? 'server' : 'client');
  const detail = dcErrorMessage(text);
  return new BitbucketError(kind, status, where, `Bitbucket answered ${status} to ${where}${detail ? `: ${detail}` : ''}`, parseRetryAfter(response.headers.get('retry-after')));
}

/**
 * Data Center answers 401 both to a token it does not accept and to an accepted one whose user may not
 * read the resource (the 9.2 spec's 401s: "insufficient permissions"). The second names who asked
 * (X-AUSERNAME, on every authenticated answer: notes §5.3) and an AuthorisationException: that is one
 * repository or project out of reach, not a token to replace.
 */
function permissionRefused(response: HttpResponse, text: string): boolean {
  const user = response.headers.get('x-ausername');
  if (user && user !== 'anonymous') return true;
  try {
    const body = JSON.parse(text) as { errors?: Array<{ exceptionName?: string | null }> };
    return body.errors?.some((e) => e.exceptionName === 'com.atlassian.bitbucket.AuthorisationException') ?? false;
  } catch {
    return false;
  }
}

/** DC errors are `{errors: [{message}]}`; anything else is shown trimmed. */
function dcErrorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: Array<{ message?: string }> };
    const messages = body.errors?.map((e) => e.message).filter(Boolean);
    // Decoded from JSON, a message may hold line breaks: collapsed like a plain-text answer's, or it
    // would print lines of its own in `status` and `check`, read as the bridge's.
    if (messages?.length) return messages.join('; ').replace(/\s+/g, ' ').trim().slice(0, 300);
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 200).replace(/\s+/g, ' ').trim();
}
