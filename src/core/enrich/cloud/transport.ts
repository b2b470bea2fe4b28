import type { HttpResponse } from '../../ports';
import { isNextRequest, requestTarget, type CloudRequest } from './endpoints';

/** How the core reaches Bitbucket Cloud: one request in, one response out; no retries here. */
export type CloudTransport = (request: CloudRequest) => Promise<HttpResponse>;

export interface FetchTransportOptions {
  /** e.g. https://api.bitbucket.org (the template paths start with /2.0). */
  baseUrl: string;
  /** The Authorization header value: `Bearer <access token>` or `Basic <email:api token>`. */
  authorization: () => string | Promise<string>;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** The transport for hosts that are not Forge (the bridge, tests, benchmarks): plain fetch. */
export function fetchCloudTransport(options: FetchTransportOptions): CloudTransport {
  const base = new URL(options.baseUrl);
  const doFetch = options.fetch ?? fetch;
  return async (request) => {
    const url = isNextRequest(request) ? sameOrigin(request.next, base) : new URL(requestTarget(request), base).toString();
    const method = isNextRequest(request) ? 'GET' : (request.method ?? 'GET');
    const body = !isNextRequest(request) && request.body !== undefined ? JSON.stringify(request.body) : undefined;
    return doFetch(url, {
      method,
      headers: {
        Authorization: await options.authorization(),
        Accept: 'application/json',
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  };
}

// A `next` link pointing elsewhere would send our token to another host.
function sameOrigin(link: string, base: URL): string {
  const url = new URL(link, base);
  if (url.origin !== base.origin) throw new Error(`refusing to follow a pagination link to another host: ${url.origin}`);
  return url.toString();
}
