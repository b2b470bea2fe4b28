import { parseRetryAfter } from '../../core/enrich/cloud/client';
import { isNextRequest, requestTarget } from '../../core/enrich/cloud/endpoints';
import type { CloudTransport } from '../../core/enrich/cloud/transport';
import type { DcTransport } from '../../core/enrich/datacenter/client';
import { withoutValues } from '../../core/errors';
import type { HttpResponse, HttpSend, Logger } from '../../core/ports';
import type { BridgeMetrics } from '../ops/metrics';
import type { RateLimitRecorder } from '../poll/rate-limited';
import type { RequestBudget } from './hourly-budget';
import { sleep, type Limiter } from './limiter';

// Requests to Bitbucket, either edition: authorization, the shared rate cap and concurrency limit,
// and 429 handling. A 429 is a budget signal, not an error: the whole bridge waits (Retry-After when
// given, else exponential backoff with jitter) and the request is repeated; only after many refusals
// in a row does it surface, as a rate-limited error the poll retries next pass.

export interface BitbucketHttp {
  /** e.g. https://bitbucket.example.com/bitbucket (host and context path, no trailing slash). */
  baseUrl: string;
  authorization: string;
  /**
   * Reads a token file again after a 401 (a rotated secret: no restart needed); true when
   * `authorization` changed, and the request is then made once more with it.
   */
  reauthorize?: () => boolean;
  send: HttpSend;
  limiter: Limiter;
  /** Bitbucket Cloud's rolling hour: asked before every request, and it waits out a 429 (see hourly-budget.ts). */
  budget?: RequestBudget;
  /** Keeps for `status` that Bitbucket is rate-limiting the bridge, since when and until when it waits. */
  rateLimits?: RateLimitRecorder;
  metrics?: Pick<BridgeMetrics, 'bitbucketRequests' | 'bitbucketRateLimited'> & Partial<Pick<BridgeMetrics, 'lastAnswer'>>;
  log?: Logger;
  /** Aborted when the bridge stops: requests in flight end, and no new one starts. */
  signal?: AbortSignal;
  /** 429s in a row before giving up on one request. */
  maxRateLimitRetries?: number;
  random?: () => number;
}

/** Thrown instead of a request once the bridge stops: not a Bitbucket failure, nothing to retry or report. */
export class StoppingError extends Error {
  constructor() {
    super('the bridge is stopping; what was not read is read after the next start');
    this.name = 'StoppingError';
  }
}

const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 60_000;

/** A GET, or (with `post`) a read Data Center takes as a POST with a JSON body; nothing else is sent. */
export async function bitbucketGet(http: BitbucketHttp, url: string, post?: { body: string }): Promise<HttpResponse> {
  const maxRetries = http.maxRateLimitRetries ?? 8;
  const random = http.random ?? Math.random;
  const signal = http.signal ? { signal: http.signal } : {};
  let reauthorized = false;
  for (let attempt = 0; ; attempt++) {
    const authorization = http.authorization;
    const headers: Record<string, string> = { Authorization: authorization, Accept: 'application/json', 'X-Atlassian-Token': 'no-check' };
    if (http.signal?.aborted) throw new StoppingError();
    await http.budget?.take(http.signal).catch((error: unknown) => stoppedOr(error, http.signal));
    const release = await http.limiter.acquire(http.signal).catch((error: unknown) => stoppedOr(error, http.signal));
    let response: HttpResponse;
    try {
      if (http.signal?.aborted) throw new StoppingError();
      const sent = await http.send(url, post ? { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: post.body, ...signal } : { method: 'GET', headers, ...signal });
      response = withoutCredentials(sent, authorization);
    } catch (error) {
      if (http.signal?.aborted) throw new StoppingError();
      http.metrics?.bitbucketRequests.inc({ status: '0' });
      throw error;
    } finally {
      release();
    }
    http.metrics?.bitbucketRequests.inc({ status: String(response.status) });
    if (http.metrics?.lastAnswer) http.metrics.lastAnswer.at = Date.now();
    const budgetBlockMs = await http.budget?.answered(response);
    if (response.status === 401 && !reauthorized) {
      reauthorized = true;
      // Another request may have read the new token while this one was in flight.
      if (http.reauthorize?.() || authorization !== http.authorization) {
        await response.text().catch(() => '');
        continue;
      }
    }
    if (response.status !== 429) {
      await http.rateLimits?.answered();
      return response;
    }
    http.metrics?.bitbucketRateLimited.inc();
    if (attempt >= maxRetries) {
      await http.rateLimits?.limited(0);
      return response;
    }
    if (http.budget) {
      await http.rateLimits?.limited(budgetBlockMs ?? 0);
      // The budget now blocks for Bitbucket's Retry-After or its own backoff (1, 2, 4 … minutes, not
      // seconds: a Cloud hour drains slowly); the next turn's take waits for it.
      http.log?.warn({ url: new URL(url).pathname, attempt: attempt + 1 }, 'Bitbucket rate limit reached; waiting');
      continue;
    }
    // Retry-After says exactly how long (Data Center's bucket knows when it has a token again); without
    // it, exponential backoff with jitter. The limiter's slower pace does the rest.
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
    const waitMs = retryAfter !== undefined ? retryAfter * 1000 * (1 + random() / 4) : Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt) * (0.5 + random() / 2);
    http.limiter.pauseUntil(Date.now() + waitMs);
    await http.rateLimits?.limited(waitMs);
    http.log?.warn({ url: new URL(url).pathname, attempt: attempt + 1, waitMs: Math.round(waitMs) }, 'Bitbucket rate limit reached; waiting');
    await sleep(waitMs, http.signal).catch((error: unknown) => stoppedOr(error, http.signal));
  }
}

/** A wait cut short by stopping ends as a StoppingError: a Retry-After or the limiter's pause can outlast the grace before SIGKILL. */
function stoppedOr(error: unknown, signal: AbortSignal | undefined): never {
  throw signal?.aborted ? new StoppingError() : error;
}

export function dcTransport(http: BitbucketHttp): DcTransport {
  return (target, post) => bitbucketGet(http, http.baseUrl + target, post);
}

export function cloudTransport(http: BitbucketHttp): CloudTransport {
  const base = new URL(http.baseUrl);
  return async (request) => {
    if (!isNextRequest(request) && request.method && request.method !== 'GET') throw new Error(`the bridge only reads Bitbucket (${request.method} ${request.endpoint})`);
    if (!isNextRequest(request)) return bitbucketGet(http, new URL(requestTarget(request), base).toString());
    const next = new URL(request.next, base);
    // A `next` link pointing elsewhere would send our token to another host.
    if (next.origin !== base.origin) throw new Error(`refusing to follow a pagination link to another host: ${next.origin}`);
    return bitbucketGet(http, next.toString());
  };
}

/**
 * A refusal's text becomes a failure reason (logged, kept in the state file, printed by `check` and
 * `status`), and a proxy's error page may quote the Authorization header it was sent: the credentials
 * in it are masked, for Basic the token inside them too. A success is Bitbucket's own JSON, read as it is.
 */
function withoutCredentials(response: HttpResponse, authorization: string): HttpResponse {
  if (response.status < 300) return response;
  const credentials = authorization.replace(/^\S+\s+/, '');
  const basic = /^Basic\s/i.test(authorization) ? Buffer.from(credentials, 'base64').toString('utf8') : '';
  const secrets = [credentials, basic ? basic.slice(basic.indexOf(':') + 1) : undefined];
  return { status: response.status, headers: response.headers, text: async () => withoutValues(await response.text(), secrets) };
}

/** Bearer for Data Center PATs and Cloud access tokens; Basic email:token for Cloud API tokens. */
export function authorizationHeader(token: string, username?: string): string {
  return username ? `Basic ${Buffer.from(`${username}:${token}`).toString('base64')}` : `Bearer ${token}`;
}
