import type { z } from 'zod';
import { BitbucketError, type BitbucketFailureKind } from '../../errors';
import type { HttpResponse } from '../../ports';
import { parseAnswer } from '../answer';
import { isNextRequest, type CloudRequest } from './endpoints';
import { Page } from './schema';
import type { CloudTransport } from './transport';

// Typed reads over a transport: every answer is checked (status, JSON, schema) and anything else
// becomes a BitbucketError that says what happened and whether trying later can help.

export interface CloudClient {
  get<T extends z.ZodType>(request: CloudRequest, schema: T): Promise<z.infer<T>>;
  /**
   * Follows `next` links, a page at a time, at most `maxPages` pages; `onCapped` is told when the cap
   * left a `next` unread (a caller that read to the cap saw a shortened list as if whole, and should say so).
   */
  pages<T extends z.ZodType>(request: CloudRequest, item: T, maxPages?: number, onCapped?: () => void): AsyncGenerator<Array<z.infer<T>>>;
  /** Counts requests made, for benchmarks and the rate-limit budget. */
  readonly requests: number;
}

export interface CloudClientOptions {
  /**
   * How long one request may take, its body included, asked afresh for each request. A host whose
   * invocation ends at a hard limit sets it (Forge: its product API call takes no timeout, and a read
   * that hangs would otherwise run the function into its limit, where Forge stops it without a word).
   * None: the transport's own timeouts (the bridge's, which also wait out the rate budget).
   */
  timeoutMs?: () => number;
}

export function cloudClient(transport: CloudTransport, options: CloudClientOptions = {}): CloudClient {
  let requests = 0;
  async function get<T extends z.ZodType>(request: CloudRequest, schema: T): Promise<z.infer<T>> {
    const where = describe(request);
    let response: HttpResponse;
    let text: string;
    requests++;
    try {
      ({ response, text } = await withinTime(answer(transport, request), options.timeoutMs?.(), where));
    } catch (error) {
      if (error instanceof BitbucketError) throw error;
      throw new BitbucketError('network', undefined, where, `Bitbucket did not answer ${where}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (response.status < 200 || response.status >= 300) throw statusError(response, where, text);
    return parseAnswer(response.status, text, where, schema);
  }

  async function* pages<T extends z.ZodType>(request: CloudRequest, item: T, maxPages = 100, onCapped?: () => void): AsyncGenerator<Array<z.infer<T>>> {
    let next: CloudRequest | undefined = request;
    for (let page = 0; next && page < maxPages; page++) {
      const body: { values: Array<z.infer<T>>; next?: string } = await get(next, Page(item));
      yield body.values;
      next = body.next ? { next: body.next } : undefined;
    }
    if (next) onCapped?.();
  }

  return {
    get,
    pages,
    get requests() {
      return requests;
    },
  };
}

async function answer(transport: CloudTransport, request: CloudRequest): Promise<{ response: HttpResponse; text: string }> {
  const response = await transport(request);
  return { response, text: await response.text() };
}

/**
 * The answer, or a transient failure once `ms` have passed: worth trying again later, like a 5xx. The
 * request is not aborted, only no longer waited for (Forge documents no way to abort its product API
 * call); it ends with the invocation. A comment posted this way is found by its marker before a new post.
 */
export function withinTime<T>(work: Promise<T>, ms: number | undefined, where: string): Promise<T> {
  if (ms === undefined) return work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    const seconds = Math.round(ms / 100) / 10;
    timer = setTimeout(() => reject(new BitbucketError('network', undefined, where, `Bitbucket did not answer ${where} within ${seconds} s; gave up waiting so the work can be handed back in time`)), Math.max(0, ms));
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
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
