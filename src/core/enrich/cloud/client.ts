import type { z } from 'zod';
import { BitbucketError, type BitbucketFailureKind } from '../../errors';
import type { HttpResponse } from '../../ports';
import { isNextRequest, type CloudRequest } from './endpoints';
import { Page } from './schema';
import type { CloudTransport } from './transport';

// Typed reads over a transport: every answer is checked (status, JSON, schema) and anything else
// becomes a BitbucketError that says what happened and whether trying later can help.

export interface CloudClient {
  get<T extends z.ZodType>(request: CloudRequest, schema: T): Promise<z.infer<T>>;
  /** Follows `next` links, a page at a time, at most `maxPages` pages. */
  pages<T extends z.ZodType>(request: CloudRequest, item: T, maxPages?: number): AsyncGenerator<Array<z.infer<T>>>;
  /** Counts requests made, for benchmarks and the rate-limit budget. */
  readonly requests: number;
}

export function cloudClient(transport: CloudTransport): CloudClient {
  let requests = 0;
  async function get<T extends z.ZodType>(request: CloudRequest, schema: T): Promise<z.infer<T>> {
    const where = describe(request);
    let response: HttpResponse;
    requests++;
    try {
      response = await transport(request);
    } catch (error) {
      if (error instanceof BitbucketError) throw error;
      throw new BitbucketError('network', undefined, where, `Bitbucket did not answer ${where}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = await response.text();
    if (response.status < 200 || response.status >= 300) throw statusError(response, where, text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new BitbucketError('malformed', response.status, where, `Bitbucket answered ${where} with malformed JSON (${text.length} bytes)`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown field';
      throw new BitbucketError('malformed', response.status, where, `Bitbucket answered ${where} with an unexpected shape (${field})`);
    }
    return parsed.data;
  }

  async function* pages<T extends z.ZodType>(request: CloudRequest, item: T, maxPages = 100): AsyncGenerator<Array<z.infer<T>>> {
    let next: CloudRequest | undefined = request;
    for (let page = 0; next && page < maxPages; page++) {
      const body: { values: Array<z.infer<T>>; next?: string } = await get(next, Page(item));
      yield body.values;
      next = body.next ? { next: body.next } : undefined;
    }
  }

  return {
    get,
    pages,
    get requests() {
      return requests;
    },
  };
}

function describe(request: CloudRequest): string {
  if (isNextRequest(request)) return `a next page (${new URL(request.next).pathname})`;
  return `${request.method ?? 'GET'} ${request.endpoint} ${JSON.stringify(request.params)}`;
}

function statusError(response: HttpResponse, where: string, text: string): BitbucketError {
  const status = response.status;
  const kinds: Record<number, BitbucketFailureKind> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 410: 'not-found', 429: 'rate-limited' };
  const kind: BitbucketFailureKind = kinds[status] ?? (status >= 500 || status === 408 ? 'server' : 'client');
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  const detail = text.slice(0, 200).replace(/\s+/g, ' ').trim();
  return new BitbucketError(kind, status, where, `Bitbucket answered ${status} to ${where}${detail ? `: ${detail}` : ''}`, retryAfter);
}

/**
 * The longest Retry-After honoured. Bitbucket Cloud's limit is a rolling hour, and PanDev's outages are
 * what the retries and dead letters are for: a longer ask (a proxy's mistake, a date years ahead) held
 * a delivery, or every Bitbucket read of the installation, for as long as it said, without an attempt.
 */
export const MAX_RETRY_AFTER_SECONDS = 3600;

/** Retry-After as seconds, from either form the RFC allows (delta seconds or an HTTP date). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const date = Number.isFinite(seconds) ? undefined : Date.parse(value);
  if (date !== undefined && Number.isNaN(date)) return undefined;
  const asked = date === undefined ? seconds : Math.ceil((date - now) / 1000);
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, asked));
}
