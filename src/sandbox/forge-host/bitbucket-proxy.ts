import type { FetchMeta } from './globals';
import { proxyError } from './responses';

// Product API calls (`requestBitbucket`) go through Forge's proxy, which adds the app's or the user's
// token and hands the product's answer back unchanged. Refusals by the proxy itself carry a
// `forge-proxy-error` header that the SDK turns into NeedsAuthenticationError or ProxyRequestError.

export interface BitbucketTarget {
  baseUrl: string;
  appToken: string;
  userTokens?: Record<string, string>;
}

// The upstream body arrives decoded, so the framing headers that described the encoded one no longer apply.
const DROPPED_HEADERS = ['content-encoding', 'content-length', 'transfer-encoding'];
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function tokenFor(target: BitbucketTarget, meta: FetchMeta, principal: string | undefined): string | null | undefined {
  if (meta.provider === 'app') return target.appToken;
  if (meta.provider !== 'user') return null;
  const accountId = meta.accountId ?? principal;
  return accountId === undefined ? undefined : target.userTokens?.[accountId];
}

export async function proxyBitbucket(
  target: BitbucketTarget,
  meta: FetchMeta,
  path: string,
  init: RequestInit | undefined,
  principal: string | undefined,
  upstreamFetch: typeof fetch,
  /** Told why Bitbucket gave no answer: the app sees only Forge's PROXY_ERR, as on Forge. */
  onUnanswered: (message: string) => void = () => undefined,
): Promise<Response> {
  const token = tokenFor(target, meta, principal);
  // asUser() for someone who has not granted the app access (or with no user at all).
  if (token === undefined) return proxyError(401, 'NEEDS_AUTHENTICATION_ERR');
  const headers = new Headers(init?.headers);
  if (token === null) headers.delete('authorization');
  else headers.set('authorization', `Bearer ${token}`);

  let upstream: Response;
  try {
    upstream = await upstreamFetch(`${target.baseUrl.replace(/\/+$/, '')}${path}`, { ...init, headers });
  } catch (error) {
    onUnanswered(`Bitbucket at ${target.baseUrl} gave no answer to ${init?.method ?? 'GET'} ${path.split('?')[0]} (${causeOf(error)}): the app got Forge's 502 PROXY_ERR`);
    return proxyError(502, 'PROXY_ERR');
  }
  const answerHeaders = new Headers(upstream.headers);
  for (const name of DROPPED_HEADERS) answerHeaders.delete(name);
  const body = NULL_BODY_STATUSES.has(upstream.status) ? null : await upstream.arrayBuffer();
  return new Response(body, { status: upstream.status, statusText: upstream.statusText, headers: answerHeaders });
}

/** fetch's own message is "fetch failed"; what failed is in its cause (ECONNREFUSED, a reset, a timeout). */
function causeOf(error: unknown): string {
  // Duck-typed: the error may come from another realm (undici's), where `instanceof Error` is false.
  const messageOf = (value: unknown) => (typeof value === 'object' && value !== null && 'message' in value ? String(value.message) : String(value));
  const cause = typeof error === 'object' && error !== null && 'cause' in error && error.cause ? error.cause : error;
  return messageOf(cause);
}
